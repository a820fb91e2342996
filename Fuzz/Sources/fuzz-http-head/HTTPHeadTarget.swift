import FuzzSupport
@testable import HTTPServer

/// Request heads (HTTPRequestHeadParser). Properties:
/// - the same answer whether the bytes arrive at once or in pieces (the parser resumes);
/// - a failure is a 4xx (or 501 for an unknown transfer coding, 505 for HTTP/2+);
/// - a complete head, serialised again from what was parsed, parses to the same request and framing;
/// - the parser never reads outside the buffer (AddressSanitizer: the input is not copied).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPHead(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = fuzzInput(data, size)
    // The connection drops empty lines before a request (RFC 9112 §2.2) and parses from the request line.
    while let first = input.first, first == 0x0D || first == 0x0A { input = UnsafeBufferPointer(rebasing: input.dropFirst()) }

    var parser = HTTPRequestHeadParser(limits: limits)
    let whole = parser.parse(input)
    let wholeHead = whole == .needMore ? nil : ParsedHead(parser, input)

    // The same bytes in pieces, each call seeing the buffer grown by one piece.
    var pieces = HTTPRequestHeadParser(limits: limits)
    var end = 0
    var incremental = HTTPRequestHeadParser.Result.needMore
    for length in pieceLengths(count: input.count, seed: seed(of: input)) {
        end += length
        incremental = pieces.parse(UnsafeBufferPointer(rebasing: input[..<end]))
        if incremental != .needMore { break }
    }
    require(incremental == whole, "one-shot parse gave \(whole), in pieces \(incremental)")
    var reused = pieces
    reused.reset()  // as a keep-alive connection does before the next request
    require(reused.parse(input) == whole, "after reset() the parser answers differently")

    switch whole {
    case .needMore:
        break
    case .failure(let error):
        let status = error.status.code
        require((400..<500).contains(status) || status == 501 || status == 505, "failure with status \(status)")
    case .complete(let headLength):
        require(headLength > 0 && headLength <= input.count, "head length \(headLength) of \(input.count) bytes")
        guard let head = wholeHead else { return 0 }
        // The limits and the framing rules that keep a front proxy and this server agreeing on where
        // a request ends (RFC 9112 §6.3, §3.2).
        require(parser.requestLineEnd <= limits.maxRequestLine + 2 && parser.fields.count <= limits.maxHeaderCount
                && headLength - parser.requestLineEnd <= limits.maxHeaderBytes + 2, "a head over the limits was accepted")
        require((head.contentLength ?? 0) <= limits.maxBodyBytes, "Content-Length \(head.contentLength ?? 0) over the body limit")
        require(!(head.chunked && head.contentLength != nil), "both Content-Length and chunked accepted")
        let hosts = head.fields.filter { $0.name.lowercased() == "host" }.count
        require(hosts <= 1 && (head.version == .http1_0 || hosts == 1), "\(hosts) Host fields accepted for \(head.version)")
        let codings = head.fields.filter { $0.name.lowercased() == "transfer-encoding" }
        require(codings.isEmpty || head.chunked, "a Transfer-Encoding without chunked last was accepted")
        require(ParsedHead(pieces, input) == head, "in pieces the parser recorded \(ParsedHead(pieces, input)), at once \(head)")
        let again = head.serialised()
        // Bytes that are not UTF-8 come back as U+FFFD, three bytes each: the serialised head may
        // outgrow the size limits, so it is parsed with room for that.
        parser = HTTPRequestHeadParser(limits: roomyLimits)
        let result = again.withUnsafeBufferPointer { parser.parse($0) }
        require(result == .complete(headLength: again.count), "re-serialised head \(again) gave \(result)")
        let reparsed = again.withUnsafeBufferPointer { ParsedHead(parser, $0) }
        require(reparsed == head, "re-serialised head parsed as \(reparsed), the original as \(head)")
    }
    return 0
}

/// Small limits so the fuzzer reaches them with short inputs.
private let limits = HTTPRequestHeadParser.Limits(maxRequestLine: 256, maxHeaderBytes: 512, maxHeaderCount: 12, maxBodyBytes: 4096)

private let roomyLimits = HTTPRequestHeadParser.Limits(
    maxRequestLine: 4 * limits.maxRequestLine, maxHeaderBytes: 4 * limits.maxHeaderBytes,
    maxHeaderCount: limits.maxHeaderCount, maxBodyBytes: limits.maxBodyBytes)

/// What the server builds from a parsed head (the strings HTTPConnection.makeRequest makes) and the framing facts.
private struct ParsedHead: Equatable {
    var method: String
    var path: String
    var query: String?
    var version: HTTPVersion
    var isHead: Bool
    var fields: [Field]
    var contentLength: Int?
    var chunked: Bool
    var connectionClose: Bool
    var connectionKeepAlive: Bool
    var expectContinue: Bool

    struct Field: Equatable {
        var name: String
        var value: String
    }

    init(_ parser: HTTPRequestHeadParser, _ buf: UnsafeBufferPointer<UInt8>) {
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: buf[range]), as: UTF8.self)
        }
        method = string(parser.method)
        path = parser.pathIsImplicitRoot ? "/" : string(parser.path)
        query = parser.query.map(string)
        version = parser.version
        isHead = parser.isHead(buf)
        fields = parser.fields.map { Field(name: string($0.nameStart..<$0.nameEnd), value: string($0.valueStart..<$0.valueEnd)) }
        let framing = parser.framing
        contentLength = framing.contentLength
        chunked = framing.chunked
        connectionClose = framing.connectionClose
        connectionKeepAlive = framing.connectionKeepAlive
        expectContinue = framing.expectContinue
    }

    /// The head as a client would send it: origin-form target (or `*`, or CONNECT's authority), CRLFs.
    func serialised() -> [UInt8] {
        var text = "\(method) \(path)\(query.map { "?" + $0 } ?? "") HTTP/1.\(version.minor)\r\n"
        for field in fields { text += "\(field.name): \(field.value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
