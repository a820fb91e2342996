/// Checks the bytes of a request line that has not ended yet, as they arrive, so that a connection
/// whose first bytes cannot start an HTTP request (a TLS ClientHello sent to the plain port, binary
/// junk) is answered 400 at once instead of waiting for a line end or the header timeout.
///
/// It applies exactly the rules `HTTPRequestHeadParser` applies to the complete line
/// (`method SP request-target SP HTTP/d.d`), so it never refuses a line the parser would accept;
/// the parser checks a complete line with it first (for the same messages, however the bytes came),
/// then parses it. Each byte is looked at once, however slowly it comes.
struct RequestLinePrefix {
    private enum Part {
        case method, target, version
    }

    /// Bytes of the line already checked.
    private var checked = 0
    private var part = Part.method
    /// Where the current part starts.
    private var partStart = 0

    /// Forgets the previous request line.
    mutating func reset() { self = RequestLinePrefix() }

    /// Checks `buf[checked..<buf.count]`: the request line so far (it starts at offset 0), without
    /// its LF.
    mutating func check(_ buf: UnsafeBufferPointer<UInt8>) -> RequestError? {
        while checked < buf.count {
            let c = buf[checked]
            switch part {
            case .method:
                if c == ASCII.space && checked > partStart {
                    (part, partStart) = (.target, checked + 1)
                } else if !ASCII.isTokenChar(c) {
                    return checked == 0 ? Self.notHTTP(buf) : .badRequest("Malformed request line.")
                }
            case .target:
                if c == ASCII.space && checked > partStart {
                    (part, partStart) = (.version, checked + 1)
                } else if !ASCII.isTargetChar(c) {
                    return .badRequest("Malformed request line.")
                }
            case .version:
                if !Self.fitsVersion(c, at: checked - partStart) {
                    return .badRequest("Malformed HTTP version in request line.")
                }
            }
            checked += 1
        }
        return nil
    }

    private static let httpSlash: [UInt8] = Array("HTTP/".utf8)

    /// Whether `c` can be byte `offset` of "HTTP/" DIGIT "." DIGIT [CR].
    private static func fitsVersion(_ c: UInt8, at offset: Int) -> Bool {
        switch offset {
        case 0...4: c == httpSlash[offset]
        case 5, 7: ASCII.isDigit(c)
        case 6: c == ASCII.dot
        case 8: c == ASCII.cr
        default: false
        }
    }

    /// The error for a first byte that cannot start a method: a TLS handshake record (content type
    /// 22) gets a message that says what probably happened. Only the first byte decides, so the
    /// answer is the same whether the bytes after it have arrived yet or not.
    private static func notHTTP(_ buf: UnsafeBufferPointer<UInt8>) -> RequestError {
        if buf[0] == 0x16 {
            return .badRequest("This port speaks plain HTTP; the client started a TLS handshake.")
        }
        return .badRequest("The request does not start with an HTTP request line.")
    }
}
