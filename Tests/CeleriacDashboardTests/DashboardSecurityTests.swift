import Celeriac
import CeleriacDashboard
import Foundation
import Testing

@Suite("Dashboard security")
struct DashboardSecurityTests {
    @Test("HTML escaping covers the five special characters; the page escapes the broker address and masks its password")
    func escaping() {
        #expect(DashboardSecurity.escapeHTML(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        var configuration = DashboardConfiguration()
        configuration.brokerDescription = #"redis://user:s3cret@host:6379/0?x="><script>"#
        let page = DashboardPage.html(configuration: configuration)
        #expect(!page.contains("s3cret"))
        #expect(!page.contains("\"><script>"))
        #expect(page.contains("redis://user:***@host:6379/0?x=&quot;&gt;&lt;script&gt;"))
        #expect(page.contains(#"<meta name="csrf-token" content="\#(configuration.csrfToken)">"#))
        // The page has no inline script: the CSP forbids it, and all data is written with textContent.
        #expect(!page.contains("<script>") && page.contains(#"<script src="/app.js"></script>"#))
        #expect(!DashboardPage.script.contains("innerHTML") && !DashboardPage.script.contains("insertAdjacentHTML"))
    }

    @Test("basic authentication and bearer tokens (header or login cookie), compared in constant time")
    func authentication() {
        let basic = DashboardAuthentication.basic(user: "admin", password: "pa:ss")
        let good = "Basic " + Data("admin:pa:ss".utf8).base64EncodedString()
        #expect(DashboardSecurity.isAuthorized(basic, authorization: good, cookie: nil))
        #expect(!DashboardSecurity.isAuthorized(basic, authorization: "Basic " + Data("admin:wrong".utf8).base64EncodedString(), cookie: nil))
        #expect(!DashboardSecurity.isAuthorized(basic, authorization: nil, cookie: nil))
        #expect(!DashboardSecurity.isAuthorized(basic, authorization: "Basic !!!", cookie: nil))
        let token = DashboardAuthentication.token("0123456789abcdef")
        #expect(DashboardSecurity.isAuthorized(token, authorization: "Bearer 0123456789abcdef", cookie: nil))
        #expect(!DashboardSecurity.isAuthorized(token, authorization: "Bearer 0123456789abcdeX", cookie: nil))
        #expect(DashboardSecurity.isAuthorized(token, authorization: nil, cookie: "a=b; \(DashboardSecurity.tokenCookie)=0123456789abcdef"))
        #expect(!DashboardSecurity.isAuthorized(token, authorization: nil, cookie: "\(DashboardSecurity.tokenCookie)=nope"))
        #expect(DashboardSecurity.isAuthorized(.none, authorization: nil, cookie: nil))
        #expect(DashboardSecurity.constantTimeEquals("abc", "abc") && !DashboardSecurity.constantTimeEquals("abc", "abcd") && !DashboardSecurity.constantTimeEquals("", "a"))
    }

    @Test("actions need the CSRF token and are refused from other sites")
    func csrf() {
        #expect(DashboardSecurity.isSameOriginAction(sent: "tok", expected: "tok", fetchSite: "same-origin"))
        #expect(DashboardSecurity.isSameOriginAction(sent: "tok", expected: "tok", fetchSite: nil))
        #expect(!DashboardSecurity.isSameOriginAction(sent: nil, expected: "tok", fetchSite: nil))
        #expect(!DashboardSecurity.isSameOriginAction(sent: "other", expected: "tok", fetchSite: nil))
        #expect(!DashboardSecurity.isSameOriginAction(sent: "tok", expected: "tok", fetchSite: "cross-site"))
        #expect(DashboardSecurity.randomToken().count == 64 && DashboardSecurity.randomToken() != DashboardSecurity.randomToken())
    }

    @Test("binding a non-loopback address without authentication is refused with a clear error")
    func bindingRules() throws {
        var configuration = DashboardConfiguration()
        try configuration.validate()
        configuration.host = "0.0.0.0"
        let error = #expect(throws: CeleriacError.self) { try configuration.validate() }
        #expect(error?.message.contains("without authentication") == true)
        configuration.authentication = .token("long-enough-token")
        try configuration.validate()
        configuration.authentication = .token("short")
        #expect(throws: CeleriacError.self) { try configuration.validate() }
        configuration.authentication = try DashboardAuthentication.basic("user:pw")
        try configuration.validate()
        #expect(throws: CeleriacError.self) { try DashboardAuthentication.basic("nocolon") }
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] { #expect(DashboardConfiguration.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "10.0.0.1", "::", "example.com"] { #expect(!DashboardConfiguration.isLoopback(host), "\(host)") }
    }
}
