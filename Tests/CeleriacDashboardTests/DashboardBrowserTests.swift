import Celeriac
import CeleriacDashboard
import CeleriacTesting
import Foundation
import Testing

/// What the browser test needs: the interop venv's Python (with selenium), Debian's chromium and chromedriver.
/// Locally a missing piece skips the test; with `CI=true` it fails it.
enum Browser {
    static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    static let packageRoot: String? = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory.path }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    /// `$CELERIAC_INTEROP_PYTHON`; outside CI also `.build/interop-venv/bin/python`.
    static let python: String? = {
        if let explicit = ProcessInfo.processInfo.environment["CELERIAC_INTEROP_PYTHON"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        guard !isCI, let packageRoot else { return nil }
        let local = (packageRoot as NSString).appendingPathComponent(".build/interop-venv/bin/python")
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }()

    static func tool(_ variable: String, _ defaults: [String]) -> String? {
        if let explicit = ProcessInfo.processInfo.environment[variable], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        return defaults.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let chromium = tool("CELERIAC_CHROMIUM", ["/usr/bin/chromium", "/usr/bin/chromium-browser"])
    static let chromedriver = tool("CELERIAC_CHROMEDRIVER", ["/usr/bin/chromedriver"])

    static let shouldRun = isCI || (python != nil && chromium != nil && chromedriver != nil && RedisServerProcess.binary != nil)

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("browser/dashboard_check.py").path

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func requirements() throws -> (python: String, chromium: String, chromedriver: String) {
        guard let python else {
            throw Missing(description: "CELERIAC_INTEROP_PYTHON is not set or not executable: `export CELERIAC_INTEROP_PYTHON=$(scripts/interop-env.sh)` (a venv with selenium)")
        }
        guard let chromium else { throw Missing(description: "chromium not found (CELERIAC_CHROMIUM, /usr/bin/chromium): apt-get install chromium") }
        guard let chromedriver else { throw Missing(description: "chromedriver not found (CELERIAC_CHROMEDRIVER, /usr/bin/chromedriver): apt-get install chromium-driver") }
        return (python, chromium, chromedriver)
    }
}

@Suite("Dashboard in a real browser", .serialized, .enabled(if: Browser.shouldRun, "python venv, chromium or chromedriver missing (CI=true makes this a failure)"))
struct DashboardBrowserTests {
    @Test("headless Chromium: the page shows the worker and tasks, escapes arguments, filters, and Retry runs a failed task again")
    func browser() async throws {
        let tools = try Browser.requirements()
        // Without result_extended, so the retry reads the arguments back from the task-received event.
        try await DashboardHarness.run(resultExtended: false) { harness in
            let add = try await harness.client.send(name: "tests.add", args: [2, 3])
            let flaky = try await harness.client.send(name: "tests.flaky", args: [7])
            let xss = try await harness.client.send(
                name: "tests.echo", args: ["<img src=x onerror=alert(1)>"], kwargs: ["k": "<script>window.pwned=1</script>"])
            #expect(try await add.get(timeout: .seconds(15)) == .int(5))
            _ = try? await flaky.get(timeout: .seconds(15))
            _ = try await xss.get(timeout: .seconds(15))
            var arguments = [
                Browser.script, "--url", "http://127.0.0.1:\(harness.port)/", "--worker", DashboardHarness.workerName,
                "--add-id", add.id, "--flaky-id", flaky.id, "--xss-id", xss.id, "--chromium", tools.chromium, "--chromedriver", tools.chromedriver,
            ]
            if let directory = ProcessInfo.processInfo.environment["CELERIAC_DASHBOARD_SCREENSHOTS"], !directory.isEmpty {
                arguments += ["--screenshots", directory]
            }
            let run = try await Subprocess.run(tools.python, arguments, timeout: .seconds(180))
            let line = run.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            let report = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(run.succeeded && report?["ok"] as? Bool == true, "\(run)")
            let newID = try #require(report?["retried_as"] as? String, "\(run)")
            #expect(newID != flaky.id)
            // The retry really ran the task again, with the original arguments.
            let meta = try await harness.client.backend?.waitForReady(taskID: newID, timeout: .seconds(10))
            #expect(meta?.status == .success && meta?.result == .string("ok on run 2 with 7"), "\(String(describing: meta))")
            #expect(harness.runs.count("tests.flaky") == 2)
        }
    }
}
