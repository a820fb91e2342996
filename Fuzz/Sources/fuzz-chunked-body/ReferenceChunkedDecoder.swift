@testable import HTTPServer

/// A one-pass decoder of a whole chunked body, written from RFC 9112 §7.1 without the incremental
/// state machine, with the server's rules: 1 to 16 hex digits per size, the body limit checked as
/// each size digit is read (413), extensions and trailer fields of field-value characters, a line
/// ending LF or CRLF, the size line at most ``ChunkedBodyDecoder/maxSizeLineBytes`` long, the
/// trailer section within the header limits (431). Input that ends early needs more.
struct ReferenceChunkedDecoder {
    let limits: HTTPRequestHeadParser.Limits

    private struct NeedMore: Error {}
    private struct Refused: Error { let status: Int }

    func decode(_ input: UnsafeBufferPointer<UInt8>) -> Outcome {
        var body: [UInt8] = []
        var at = 0
        func next() throws -> UInt8 {
            guard at < input.count else { throw NeedMore() }
            defer { at += 1 }
            return input[at]
        }
        /// After a CR, the LF that must follow.
        func lineFeed() throws {
            guard try next() == 0x0A else { throw Refused(status: 400) }
        }
        do {
            while true {
                // chunk-size [ chunk-ext ] CRLF
                var size = 0
                var digits = 0
                var lineBytes = 0
                var c = try next()
                while let digit = hex(c) {
                    size = size * 16 + digit
                    digits += 1
                    if size > limits.maxBodyBytes - body.count { throw Refused(status: 413) }
                    if digits > 16 { throw Refused(status: 400) }
                    lineBytes += 1
                    c = try next()
                }
                guard digits > 0 else { throw Refused(status: 400) }
                if c == 0x3B || c == 0x20 || c == 0x09 {  // extensions, up to the end of the line
                    lineBytes += 1
                    c = try next()
                    while c != 0x0D && c != 0x0A {
                        guard fieldValueChar(c) else { throw Refused(status: 400) }
                        lineBytes += 1
                        if lineBytes > ChunkedBodyDecoder.maxSizeLineBytes { throw Refused(status: 400) }
                        c = try next()
                    }
                    // The server counts a CR that ends extensions towards the line's length too.
                    if c == 0x0D && lineBytes + 1 > ChunkedBodyDecoder.maxSizeLineBytes { throw Refused(status: 400) }
                }
                if c == 0x0D { try lineFeed() } else if c != 0x0A { throw Refused(status: 400) }
                if size == 0 { break }
                // chunk-data CRLF
                for _ in 0..<size { body.append(try next()) }
                let end = try next()
                if end == 0x0D { try lineFeed() } else if end != 0x0A { throw Refused(status: 400) }
            }
            // trailer-section CRLF
            var trailerBytes = 0
            var trailerCount = 0
            while true {
                var lineBytes = 0
                var c = try next()
                while c != 0x0D && c != 0x0A {
                    guard fieldValueChar(c) else { throw Refused(status: 400) }
                    lineBytes += 1
                    trailerBytes += 1
                    if trailerBytes > limits.maxHeaderBytes { throw Refused(status: 431) }
                    c = try next()
                }
                if c == 0x0D { try lineFeed() }
                if lineBytes == 0 { return Outcome(.done, body: body, consumed: at) }
                trailerCount += 1
                if trailerCount > limits.maxHeaderCount { throw Refused(status: 431) }
            }
        } catch let refused as Refused {
            return Outcome(.failure(status: refused.status), body: [], consumed: 0)
        } catch {
            return Outcome(.needMore, body: body, consumed: input.count)
        }
    }

    private func hex(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(c - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// field-vchar / SP / HTAB / obs-text.
    private func fieldValueChar(_ c: UInt8) -> Bool { c == 0x09 || (c >= 0x20 && c != 0x7F) }
}
