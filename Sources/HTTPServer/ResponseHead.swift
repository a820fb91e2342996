/// Builds a response head into one `[UInt8]` (status line, fields, blank line), so a small response
/// goes out in a single `send`.
struct ResponseHead {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func appendStatusLine(_ status: HTTPStatus) {
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        let code = (100...999).contains(status.code) ? status.code : 500
        bytes.append(UInt8(truncatingIfNeeded: 0x30 + code / 100))
        bytes.append(UInt8(truncatingIfNeeded: 0x30 + (code / 10) % 10))
        bytes.append(UInt8(truncatingIfNeeded: 0x30 + code % 10))
        bytes.append(ASCII.space)
        // A reason phrase must not contain CR/LF; drop any controls rather than split the response.
        for c in status.reason.utf8 where ASCII.isFieldValueChar(c) { bytes.append(c) }
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
    }

    mutating func appendField(_ name: String, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(ASCII.colon)
        bytes.append(ASCII.space)
        bytes.append(contentsOf: value.utf8)
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
    }

    /// Appends pre-encoded bytes (e.g. a cached `Date: ...\r\n` line).
    mutating func appendRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    mutating func appendContentLength(_ length: Int) {
        bytes.append(contentsOf: "Content-Length: ".utf8)
        bytes.append(contentsOf: String(max(0, length)).utf8)
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
    }

    mutating func finish() {
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
    }

    /// Whether an application header may be copied to the wire: it must not be one the server
    /// manages (Date, Connection, Keep-Alive, Content-Length, Transfer-Encoding), and must not contain bytes that could split the response.
    static func isCopyable(_ name: String, _ value: String) -> Bool {
        guard !name.isEmpty else { return false }
        for c in name.utf8 where !ASCII.isTokenChar(c) { return false }
        for c in value.utf8 where !ASCII.isFieldValueChar(c) { return false }
        switch name.utf8.count {
        case 4: return !HTTPHeaders.namesEqual(name, "Date")
        case 10: return !HTTPHeaders.namesEqual(name, "Connection") && !HTTPHeaders.namesEqual(name, "Keep-Alive")
        case 14: return !HTTPHeaders.namesEqual(name, "Content-Length")
        case 17: return !HTTPHeaders.namesEqual(name, "Transfer-Encoding")
        default: return true
        }
    }
}
