import FoundationEssentials
import Logging
import MockOktaCore

/// Logs to stderr, one line per record, as text or JSON, so stdout keeps only the ready line.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let json: Bool

    public init(label: String, json: Bool) {
        self.label = label
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        let all = metadata.merging(extra ?? [:]) { _, b in b }
        let ts = TimeFormat.iso(Date().timeIntervalSince1970)
        var text: String
        if json {
            var obj = "{\"ts\":\"\(ts)\",\"level\":\"\(level)\",\"msg\":\(Self.quote(message.description))"
            for (k, v) in all.sorted(by: { $0.key < $1.key }) where k != "hb.request.id" {
                obj += ",\(Self.quote(k)):\(Self.quote("\(v)"))"
            }
            text = obj + "}\n"
        } else {
            text = "\(ts) \(level) \(message)"
            for (k, v) in all.sorted(by: { $0.key < $1.key }) where k != "hb.request.id" { text += " \(k)=\(v)" }
            text += "\n"
        }
        FileIO.write(text, fd: 2)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if u.value < 0x20 { out += "\\u" + Format.hex4(u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
