import FoundationEssentials

/// Stored as its JSON text (keeps object member order through SQLite round trips).
extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        self = try JSONParser.parse(try c.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(serialized())
    }
}
