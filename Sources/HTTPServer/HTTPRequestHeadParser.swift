#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about message framing and connection handling gathered while the header fields are parsed,
/// so nothing has to be looked up again by name afterwards.
struct RequestFraming {
    var contentLength: Int?
    var hasTransferEncoding = false
    var chunked = false
    var chunkedIsLast = false
    var unknownCoding = false
    var connectionClose = false
    var connectionKeepAlive = false
    var expectContinue = false
    var expectOther = false
    var hostCount = 0
}

/// An incremental request-head parser in the style of picohttpparser: it works on the receive
/// buffer in place, records offsets instead of strings, resumes where it stopped when more bytes
/// arrive, and checks the size limits as bytes come in rather than after the head is complete.
///
/// Offsets are relative to the start of the buffer handed to ``parse(_:)``, which must begin at
/// the first byte of the request line (the connection skips leading empty lines).
struct HTTPRequestHeadParser {
    struct Limits {
        var maxRequestLine: Int
        var maxHeaderBytes: Int
        var maxHeaderCount: Int
        var maxBodyBytes: Int
    }

    /// Offsets of one header field's name and (OWS-trimmed) value.
    struct Field {
        var nameStart: Int
        var nameEnd: Int
        var valueStart: Int
        var valueEnd: Int
    }

    enum Result: Equatable {
        case needMore
        /// The head is complete and valid; it is this many bytes long (including the empty line).
        case complete(headLength: Int)
        case failure(RequestError)
    }

    let limits: Limits
    /// Bytes already split into lines.
    private(set) var scanned = 0
    /// Offset just after the request line, or -1 while it is incomplete.
    private(set) var requestLineEnd = -1
    private(set) var method = 0..<0
    private(set) var path = 0..<0
    /// True for an absolute-form target without a path (`http://host`), whose path is `/`.
    private(set) var pathIsImplicitRoot = false
    private(set) var query: Range<Int>?
    private(set) var version = HTTPVersion.http1_1
    private(set) var fields: [Field] = []
    private(set) var framing = RequestFraming()
    /// The incomplete request line's bytes checked so far.
    private var linePrefix = RequestLinePrefix()

    init(limits: Limits) {
        self.limits = limits
        fields.reserveCapacity(16)
    }

    /// Forgets the previous request, keeping allocated capacity.
    mutating func reset() {
        scanned = 0
        requestLineEnd = -1
        method = 0..<0
        path = 0..<0
        pathIsImplicitRoot = false
        query = nil
        version = .http1_1
        fields.removeAll(keepingCapacity: true)
        framing = RequestFraming()
        linePrefix.reset()
    }

    /// Whether the method is exactly `HEAD` (methods are case-sensitive).
    func isHead(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        ASCII.equals(buf, method.lowerBound, method.upperBound, "HEAD")
    }

    /// Continues parsing `buf` (which starts at the request line and may have grown since the last call).
    mutating func parse(_ buf: UnsafeBufferPointer<UInt8>) -> Result {
        guard let base = buf.baseAddress else { return .needMore }
        let count = buf.count
        while scanned < count {
            let lineStart = scanned
            guard let found = memchr(base + lineStart, Int32(ASCII.lf), count - lineStart) else { break }
            let lf = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
            var lineEnd = lf
            if lineEnd > lineStart && base[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            scanned = lf + 1
            if requestLineEnd < 0 {
                // The same checks in the same order as for an incomplete line, so the answer does not
                // depend on how the bytes arrived: the prefix within the length limit, then the limit.
                if let error = checkLinePrefix(buf, upTo: lf) { return .failure(error) }
                if lineEnd - lineStart > limits.maxRequestLine { return .failure(.uriTooLong) }
                if let error = parseRequestLine(buf, lineStart, lineEnd) { return .failure(error) }
                requestLineEnd = scanned
            } else {
                if lineStart == lineEnd { return finish() }
                if scanned - requestLineEnd > limits.maxHeaderBytes {
                    return .failure(.headersTooLarge("The request header section is too large."))
                }
                if fields.count >= limits.maxHeaderCount {
                    return .failure(.headersTooLarge("The request has too many header fields."))
                }
                if let error = parseField(buf, lineStart, lineEnd) { return .failure(error) }
            }
        }
        // The current line is incomplete: enforce the limits on what has arrived so far.
        if requestLineEnd < 0 {
            if let error = checkLinePrefix(buf, upTo: count) { return .failure(error) }
            if count > limits.maxRequestLine + 2 { return .failure(.uriTooLong) }
        } else if count - requestLineEnd > limits.maxHeaderBytes + 2 {
            return .failure(.headersTooLarge("The request header section is too large."))
        }
        return .needMore
    }

    // MARK: - Request line

    /// Checks the request line's first `end` bytes, never more than the longest line the limit lets
    /// through (with its CR and LF): a bad byte beyond it is a too-long line however the bytes come.
    private mutating func checkLinePrefix(_ buf: UnsafeBufferPointer<UInt8>, upTo end: Int) -> RequestError? {
        linePrefix.check(UnsafeBufferPointer(rebasing: buf[0..<min(end, limits.maxRequestLine + 2)]))
    }

    private mutating func parseRequestLine(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> RequestError? {
        // method SP request-target SP HTTP-version
        var i = start
        while i < end && ASCII.isTokenChar(buf[i]) { i += 1 }
        guard i > start, i < end, buf[i] == ASCII.space else { return .badRequest("Malformed request line.") }
        method = start..<i
        i += 1
        let targetStart = i
        while i < end && ASCII.isTargetChar(buf[i]) { i += 1 }
        guard i > targetStart, i < end, buf[i] == ASCII.space else { return .badRequest("Malformed request line.") }
        let targetEnd = i
        i += 1
        // "HTTP/" DIGIT "." DIGIT, then end of line.
        guard end - i == 8,
              buf[i] == 0x48, buf[i + 1] == 0x54, buf[i + 2] == 0x54, buf[i + 3] == 0x50, buf[i + 4] == ASCII.slash,
              ASCII.isDigit(buf[i + 5]), buf[i + 6] == ASCII.dot, ASCII.isDigit(buf[i + 7])
        else { return .badRequest("Malformed HTTP version in request line.") }
        let major = Int(buf[i + 5] &- 0x30)
        let minor = Int(buf[i + 7] &- 0x30)
        guard major == 1 else { return .versionNotSupported }
        version = minor == 0 ? .http1_0 : .http1_1
        return parseTarget(buf, targetStart, targetEnd)
    }

    private mutating func parseTarget(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> RequestError? {
        let first = buf[start]
        if first == ASCII.slash {  // origin-form
            splitPathAndQuery(buf, start, end)
            return nil
        }
        if end - start == 1 && first == ASCII.star {  // asterisk-form, OPTIONS only
            guard ASCII.equals(buf, method.lowerBound, method.upperBound, "OPTIONS") else {
                return .badRequest("The '*' request target is only valid for OPTIONS.")
            }
            path = start..<end
            return nil
        }
        // absolute-form: scheme "://" authority [path-abempty] ["?" query]
        var schemeEnd = start
        while schemeEnd < end && buf[schemeEnd] != ASCII.colon { schemeEnd += 1 }
        let isHTTP = ASCII.equalsLowercase(buf, start, schemeEnd, "http") || ASCII.equalsLowercase(buf, start, schemeEnd, "https")
        if isHTTP && end - schemeEnd >= 3 && buf[schemeEnd + 1] == ASCII.slash && buf[schemeEnd + 2] == ASCII.slash {
            let authorityStart = schemeEnd + 3
            var i = authorityStart
            while i < end && buf[i] != ASCII.slash && buf[i] != ASCII.question { i += 1 }
            guard i > authorityStart else { return .badRequest("The absolute request target has no host.") }
            if i == end || buf[i] == ASCII.question {
                pathIsImplicitRoot = true
                path = i..<i
                if i < end { query = (i + 1)..<end }
            } else {
                splitPathAndQuery(buf, i, end)
            }
            return nil
        }
        // authority-form is only valid for CONNECT; hand the authority to the application as the path.
        if ASCII.equals(buf, method.lowerBound, method.upperBound, "CONNECT") {
            path = start..<end
            return nil
        }
        return .badRequest("Invalid request target.")
    }

    private mutating func splitPathAndQuery(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        var i = start
        while i < end && buf[i] != ASCII.question { i += 1 }
        path = start..<i
        query = i < end ? (i + 1)..<end : nil
    }

    // MARK: - Header fields

    private mutating func parseField(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> RequestError? {
        if ASCII.isWhitespace(buf[start]) {
            return .badRequest(fields.isEmpty
                ? "Whitespace before the first header field is not allowed."
                : "Obsolete line folding in header fields is not allowed.")
        }
        var i = start
        while i < end && buf[i] != ASCII.colon {
            guard ASCII.isTokenChar(buf[i]) else { return .badRequest("Invalid header field name.") }
            i += 1
        }
        guard i < end else { return .badRequest("Header field without a colon.") }
        guard i > start else { return .badRequest("Empty header field name.") }
        let nameEnd = i
        i += 1
        while i < end && ASCII.isWhitespace(buf[i]) { i += 1 }
        var valueEnd = end
        while valueEnd > i && ASCII.isWhitespace(buf[valueEnd - 1]) { valueEnd -= 1 }
        var j = i
        while j < valueEnd {
            guard ASCII.isFieldValueChar(buf[j]) else { return .badRequest("Invalid character in a header field value.") }
            j += 1
        }
        fields.append(Field(nameStart: start, nameEnd: nameEnd, valueStart: i, valueEnd: valueEnd))
        return interpret(buf, name: start..<nameEnd, value: i..<valueEnd)
    }

    /// Records the fields that affect framing or connection handling.
    private mutating func interpret(_ buf: UnsafeBufferPointer<UInt8>, name: Range<Int>, value: Range<Int>) -> RequestError? {
        switch name.count {
        case 4 where ASCII.equalsLowercase(buf, name.lowerBound, name.upperBound, "host"):
            framing.hostCount += 1
        case 6 where ASCII.equalsLowercase(buf, name.lowerBound, name.upperBound, "expect"):
            if ASCII.equalsLowercase(buf, value.lowerBound, value.upperBound, "100-continue") {
                framing.expectContinue = true
            } else {
                framing.expectOther = true
            }
        case 10 where ASCII.equalsLowercase(buf, name.lowerBound, name.upperBound, "connection"):
            Self.forEachListElement(buf, value) { s, e in
                if ASCII.equalsLowercase(buf, s, e, "close") {
                    framing.connectionClose = true
                } else if ASCII.equalsLowercase(buf, s, e, "keep-alive") {
                    framing.connectionKeepAlive = true
                }
                return nil
            }
        case 14 where ASCII.equalsLowercase(buf, name.lowerBound, name.upperBound, "content-length"):
            return parseContentLength(buf, value)
        case 17 where ASCII.equalsLowercase(buf, name.lowerBound, name.upperBound, "transfer-encoding"):
            framing.hasTransferEncoding = true
            return Self.forEachListElement(buf, value) { s, e in
                var codingEnd = s
                while codingEnd < e && buf[codingEnd] != ASCII.semicolon && !ASCII.isWhitespace(buf[codingEnd]) {
                    codingEnd += 1
                }
                if ASCII.equalsLowercase(buf, s, codingEnd, "chunked") {
                    if framing.chunked { return .badRequest("The chunked transfer coding is applied more than once.") }
                    framing.chunked = true
                    framing.chunkedIsLast = true
                } else {
                    framing.unknownCoding = true
                    framing.chunkedIsLast = false
                }
                return nil
            }
        default:
            break
        }
        return nil
    }

    /// Content-Length = 1*DIGIT; a list of identical values (`5, 5`) is accepted (RFC 9110 §8.6).
    private mutating func parseContentLength(_ buf: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> RequestError? {
        var sawElement = false
        let error = Self.forEachListElement(buf, value) { s, e in
            var length = 0
            for k in s..<e {
                let c = buf[k]
                guard ASCII.isDigit(c) else { return .badRequest("Invalid Content-Length.") }
                // Saturate instead of overflowing: anything this large is over the body limit anyway.
                length = length > (Int.max - 9) / 10 ? Int.max : length * 10 + Int(c &- 0x30)
            }
            if let existing = framing.contentLength, existing != length {
                return .badRequest("Conflicting Content-Length values.")
            }
            framing.contentLength = length
            sawElement = true
            return nil
        }
        if let error { return error }
        return sawElement ? nil : .badRequest("Invalid Content-Length.")
    }

    /// Calls `body` with the bounds of each non-empty, OWS-trimmed element of a comma-separated list.
    @discardableResult
    private static func forEachListElement(
        _ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
        _ body: (Int, Int) -> RequestError?
    ) -> RequestError? {
        var i = range.lowerBound
        while i < range.upperBound {
            var s = i
            while i < range.upperBound && buf[i] != ASCII.comma { i += 1 }
            var e = i
            while s < e && ASCII.isWhitespace(buf[s]) { s += 1 }
            while e > s && ASCII.isWhitespace(buf[e - 1]) { e -= 1 }
            if e > s, let error = body(s, e) { return error }
            i += 1
        }
        return nil
    }

    // MARK: - Completion

    private func finish() -> Result {
        if framing.hostCount > 1 || (version == .http1_1 && framing.hostCount == 0) {
            return .failure(.badRequest(framing.hostCount == 0
                ? "HTTP/1.1 requests must have a Host header."
                : "The request has more than one Host header."))
        }
        if framing.hasTransferEncoding {
            if framing.contentLength != nil {
                return .failure(.badRequest("The request has both Content-Length and Transfer-Encoding."))
            }
            if framing.unknownCoding {
                return .failure(.notImplemented("Only the chunked transfer coding is supported."))
            }
            if !framing.chunkedIsLast {
                return .failure(.badRequest("The chunked transfer coding must be the final coding."))
            }
            if version == .http1_0 {
                return .failure(.badRequest("Transfer-Encoding is not allowed in HTTP/1.0 requests."))
            }
        }
        if framing.expectOther && version != .http1_0 {
            return .failure(.expectationFailed)
        }
        if let length = framing.contentLength, length > limits.maxBodyBytes {
            return .failure(.contentTooLarge)
        }
        return .complete(headLength: scanned)
    }
}
