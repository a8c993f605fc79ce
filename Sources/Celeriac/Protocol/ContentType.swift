/// The content types Celeriac reads, and the mapping from Celery's serializer names.
public enum ContentType {
    /// JSON, the one serializer Celeriac speaks.
    public static let json = "application/json"

    /// The set holding ``json`` alone.
    static let jsonOnly: Set<String> = [json]

    /// The MIME type of a Celery serializer name (`"json"` → `application/json`); MIME types pass through.
    public static func mimeType(forSerializer name: String) -> String {
        switch name.lowercased() {
        case "json": json
        case "pickle": "application/x-python-serialize"
        case "yaml": "application/x-yaml"
        case "msgpack": "application/x-msgpack"
        default: name
        }
    }
}

extension CeleriacConfiguration {
    /// The MIME types a worker accepts, from `accept_content`; Celeriac decodes JSON only.
    ///
    /// A worker reads this for every message, so it is either a shared one-element set or empty.
    public var acceptedContentTypes: Set<String> {
        let acceptsJSON = acceptContent.contains { name in
            name == ContentType.json || name == "json" || ContentType.mimeType(forSerializer: name) == ContentType.json
        }
        return acceptsJSON ? ContentType.jsonOnly : []
    }
}
