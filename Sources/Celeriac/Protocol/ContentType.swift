/// The content types Celeriac reads, and the mapping from Celery's serializer names.
public enum ContentType {
    /// JSON, the one serializer Celeriac speaks.
    public static let json = "application/json"

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
    public var acceptedContentTypes: Set<String> {
        Set(acceptContent.map(ContentType.mimeType(forSerializer:))).intersection([ContentType.json])
    }
}
