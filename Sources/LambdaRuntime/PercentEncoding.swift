/// Percent-encoding for rebuilding request targets from API Gateway's decoded fields.
enum PercentEncoding {
    /// RFC 3986 unreserved characters: ALPHA DIGIT - . _ ~
    static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    /// What may appear literally in a path (pchar and `/`), plus `%` so that an already-encoded
    /// path passes through unchanged.
    static let path: Set<UInt8> = unreserved.union(Array("!$&'()*+,;=:@/%".utf8))

    /// Encodes every byte of `text`'s UTF-8 outside `keeping` as `%XX`.
    static func encode(_ text: String, keeping: Set<UInt8>) -> String {
        guard text.utf8.contains(where: { !keeping.contains($0) }) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            if keeping.contains(byte) {
                out.append(byte)
            } else {
                out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `name=value` for a query string, both encoded (a space becomes `%20`, `+` becomes `%2B`).
    static func queryPair(_ name: String, _ value: String) -> String {
        encode(name, keeping: unreserved) + "=" + encode(value, keeping: unreserved)
    }
}
