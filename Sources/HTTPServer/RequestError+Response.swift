extension RequestError {
    /// `{"error": {"code": "...", "message": "..."}}`.
    var jsonBody: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + message.utf8.count)
        out.append(contentsOf: #"{"error":{"code":""#.utf8)
        out.append(contentsOf: UnsafeBufferPointer(start: code.utf8Start, count: code.utf8CodeUnitCount))
        out.append(contentsOf: #"","message":""#.utf8)
        Self.appendJSONEscaped(message, to: &out)
        out.append(contentsOf: #""}}"#.utf8)
        return out
    }

    /// The complete response (head and body) for this error, always with `Connection: close`.
    func responseBytes(date: [UInt8], serverName: [UInt8]?, includeBody: Bool) -> [UInt8] {
        let body = jsonBody
        var head = ResponseHead(capacity: 256 + body.count)
        head.appendStatusLine(status)
        head.appendField("Content-Type", "application/json")
        head.appendRaw(date)
        if let serverName { head.appendRaw(serverName) }
        head.appendContentLength(body.count)
        head.appendField("Connection", "close")
        head.finish()
        if includeBody { head.bytes.append(contentsOf: body) }
        return head.bytes
    }

    static func appendJSONEscaped(_ text: String, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for c in text.utf8 {
            switch c {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])  // \"
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])  // \\
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])  // \n
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])  // \r
            case 0x09: out.append(contentsOf: [0x5C, 0x74])  // \t
            case 0..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
            default: out.append(c)
            }
        }
    }
}
