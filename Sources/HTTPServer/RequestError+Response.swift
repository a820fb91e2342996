extension RequestError {
    /// `{"error": {"code": "...", "message": "..."}}`.
    var jsonBody: [UInt8] {
        jsonErrorBody(code: code.description, message: message)
    }

    /// The complete response for this error, head and `body` (its ``jsonBody``), always with
    /// `Connection: close`.
    func responseBytes(body: [UInt8], date: [UInt8], serverName: [UInt8]?, includeBody: Bool) -> [UInt8] {
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
}

/// `{"error":{"code":"...","message":"..."}}`: the body of the errors the package answers by itself
/// (the server's protocol errors, the Lambda runtime's `bad_event`).
package func jsonErrorBody(code: String, message: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(48 + code.utf8.count + message.utf8.count)
    out.append(contentsOf: #"{"error":{"code":""#.utf8)
    appendJSONEscaped(code, to: &out)
    out.append(contentsOf: #"","message":""#.utf8)
    appendJSONEscaped(message, to: &out)
    out.append(contentsOf: #""}}"#.utf8)
    return out
}

/// Appends `text` as the inside of a JSON string literal.
private func appendJSONEscaped(_ text: String, to out: inout [UInt8]) {
    let hex: StaticString = "0123456789abcdef"
    for c in text.utf8 {
        switch c {
        case 0x22: out.append(contentsOf: [0x5C, 0x22])  // \"
        case 0x5C: out.append(contentsOf: [0x5C, 0x5C])  // \\
        case 0x0A: out.append(contentsOf: [0x5C, 0x6E])  // \n
        case 0x0D: out.append(contentsOf: [0x5C, 0x72])  // \r
        case 0x09: out.append(contentsOf: [0x5C, 0x74])  // \t
        case 0..<0x20:
            out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex.utf8Start[Int(c >> 4)], hex.utf8Start[Int(c & 0xF)]])
        default: out.append(c)
        }
    }
}
