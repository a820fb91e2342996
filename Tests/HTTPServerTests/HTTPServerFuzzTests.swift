import HTTPServer
import TestSupport
import XCTest

/// Deterministic pseudo-random numbers (SplitMix64) so a failing input can be reproduced.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class HTTPServerFuzzTests: XCTestCase {
    static let templates: [String] = [
        "GET /path?x=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "GET http://h:1/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    ]

    static let interesting: [[UInt8]] = [
        [0x0D], [0x0A], [0x00], [0x20], [0x09], [0x3A], [0xFF], [0x7F],
        Array("\r\n".utf8), Array("\r\n\r\n".utf8), Array("Content-Length: 99999999999999999999\r\n".utf8),
        Array("Transfer-Encoding: chunked\r\n".utf8), Array("FFFFFFFF\r\n".utf8), Array(" HTTP/1.1".utf8),
    ]

    static func makeInput(_ rng: inout SeededGenerator) -> [UInt8] {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:  // random bytes
            return (0..<Int.random(in: 0..<600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1:  // random printable text with line breaks
            let alphabet = Array("GETPOSHT/1.0: \r\n-abcxyz0123456789;=,\t".utf8)
            return (0..<Int.random(in: 0..<600, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
        default:  // a valid request, mutated
            var bytes = Array(Self.templates.randomElement(using: &rng)!.utf8)
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let position = Int.random(in: 0...bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0 where position < bytes.count: bytes[position] = UInt8.random(in: 0...255, using: &rng)
                case 1 where position < bytes.count: bytes.remove(at: position)
                case 2: bytes.insert(contentsOf: Self.interesting.randomElement(using: &rng)!, at: position)
                case 3: bytes = Array(bytes[..<position])
                default: bytes.insert(contentsOf: bytes[..<min(position, bytes.count)], at: bytes.count)  // repeat a prefix
                }
            }
            return bytes
        }
    }

    /// The protocol errors the server answers by itself, with the stable code of each status.
    static let errorCodes: [Int: String] = [
        400: "bad_request", 408: "request_timeout", 413: "content_too_large", 414: "uri_too_long",
        417: "expectation_failed", 431: "header_fields_too_large", 501: "not_implemented", 505: "http_version_not_supported",
    ]

    /// Bytes that may start a request: a method's token characters (RFC 9110 tchar), or the empty lines
    /// a server may skip before the request line.
    static func mayStartARequest(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("!#$%&'*+-.^_`|~\r\n".utf8).contains(byte)
        }
    }

    /// One input sent whole and then EOF. Whatever the bytes, the connection ends with the server closing
    /// it, and what came before the close is a sequence of complete responses: echoes of requests that
    /// were in the input, then at most one protocol error (JSON, the status's code, `Connection: close`),
    /// which is the last thing sent. Bytes that cannot start a request are answered 400 at once; no bytes,
    /// no answer. Every 25 inputs, and at the end, a good request on a new connection is answered.
    func testRandomInputGetsEchoesOrOneProtocolErrorThenTheClose() async throws {
        let (server, port) = try startServer(configuration: testConfiguration {
            $0.headerTimeout = .milliseconds(300)
            $0.bodyTimeout = .milliseconds(300)
            $0.lingerTimeout = .milliseconds(100)
            $0.maxBodyBytes = 4096
        })
        var rng = SeededGenerator(state: 0x5EED)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        var sent = 0
        var outcomes: [String: Int] = [:]
        while sent < 400 && clock.now < deadline {
            let input = Self.makeInput(&rng)
            let label = "input \(sent): \(String(decoding: input.prefix(80), as: UTF8.self).debugDescription)"
            let client = try TestClient(port: port, timeout: 2)
            // The server may close on an error before it has read everything: then the send fails, and
            // the answer must be that error.
            var sendFailed = false
            do { try client.send(input) } catch { sendFailed = true }
            client.shutdownWrite()
            let responses = try Self.responses(in: try client.readToEnd(), label: label)
            let final = responses.filter { $0.status != 100 }
            for (index, response) in final.enumerated() {
                if response.status == 200 {
                    let method = response.text.prefix { $0 != " " }
                    XCTAssertFalse(method.isEmpty, label)
                    XCTAssertTrue(input.starts(with: Array((method + " ").utf8)) || Self.contains(input, Array(("\n" + method + " ").utf8)),
                                  "\(label): echoed \(response.text.debugDescription), a request the input does not hold")
                } else {
                    let code = try XCTUnwrap(Self.errorCodes[response.status], "\(label): unexpected status \(response.status)")
                    XCTAssertEqual(response.header("content-type"), "application/json", label)
                    XCTAssertEqual(response.header("connection"), "close", label)
                    XCTAssertTrue(response.text.hasPrefix(#"{"error":{"code":"\#(code)","message":""#), "\(label): \(response.text)")
                    XCTAssertEqual(index, final.count - 1, "\(label): the server went on after a \(response.status)")
                }
            }
            if input.isEmpty { XCTAssertEqual(responses.count, 0, label) }
            if let first = input.first, !Self.mayStartARequest(first) {
                XCTAssertEqual(final.map(\.status), [400], "\(label): bytes that cannot start a request")
            }
            if sendFailed { XCTAssertNotEqual(final.last?.status ?? 200, 200, "\(label): closed early without an error") }
            outcomes[final.last.map { String($0.status) } ?? "closed", default: 0] += 1
            sent += 1
            if sent % 25 == 0 { try assertAnswersAGoodRequest(port: port, path: "/after-\(sent)") }
        }
        XCTAssertGreaterThanOrEqual(sent, 200, "fuzz loop too slow")
        // The inputs reached both the handler and the parser's refusals, and the other ends.
        XCTAssertGreaterThan(outcomes["200"] ?? 0, 0, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["400"] ?? 0, 0, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["closed"] ?? 0, 0, "\(outcomes)")

        try assertAnswersAGoodRequest(port: port, path: "/still-alive")
        let drained = await waitUntil { server.connectionCount <= 1 }
        XCTAssertTrue(drained, "connections leaked: \(server.connectionCount)")
    }

    /// The same inputs cut into random fragments on eight concurrent connections get the same answers as
    /// when sent whole on one (status and body of every final response; a 100 Continue depends on timing).
    func testRandomInputInRandomFragmentsGetsTheSameAnswersAsWhole() async throws {
        let (server, port) = try startServer(configuration: testConfiguration {
            $0.headerTimeout = .seconds(2)
            $0.bodyTimeout = .seconds(2)
            $0.lingerTimeout = .milliseconds(100)
        })
        let fragmented = await withTaskGroup(of: [(input: [UInt8], answer: Result<[String], any Error>)].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var rng = SeededGenerator(state: UInt64(worker) &* 7919)
                    var results: [(input: [UInt8], answer: Result<[String], any Error>)] = []
                    for _ in 0..<25 {
                        let input = Self.makeInput(&rng)
                        let sizes = (0..<input.count).map { _ in Int.random(in: 1...64, using: &rng) }
                        results.append((input, Result { try Self.answer(input, port: port, fragments: sizes) }))
                    }
                    return results
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        XCTAssertEqual(fragmented.count, 200)
        for (index, result) in fragmented.enumerated() {
            let label = "input \(index): \(String(decoding: result.input.prefix(80), as: UTF8.self).debugDescription)"
            let inPieces = try result.answer.get()
            XCTAssertEqual(inPieces, try Self.answer(result.input, port: port, fragments: []), label)
        }
        try assertAnswersAGoodRequest(port: port, path: "/ok")
        let drained = await waitUntil { server.connectionCount <= 1 }
        XCTAssertTrue(drained, "connections leaked: \(server.connectionCount)")
    }

    /// A good request on a new connection is answered with its echo.
    func assertAnswersAGoodRequest(port: Int, path: String, line: UInt = #line) throws {
        let client = try TestClient(port: port)
        try client.send(get(path))
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200, line: line)
        XCTAssertEqual(response.text, "GET \(path)", line: line)
    }

    /// `input` sent in pieces of `fragments` sizes (whole when empty), then EOF: "status body" of each final
    /// response until the server closes. A send may fail only once the server has answered and closed.
    static func answer(_ input: [UInt8], port: Int, fragments: [Int]) throws -> [String] {
        let client = try TestClient(port: port, timeout: 5)
        var offset = 0, piece = 0
        while offset < input.count {
            let size = fragments.isEmpty ? input.count : fragments[piece]
            do { try client.send(Array(input[offset..<min(input.count, offset + size)])) } catch { break }
            offset += size
            piece += 1
        }
        client.shutdownWrite()
        return try responses(in: try client.readToEnd(), label: "answer")
            .filter { $0.status != 100 }
            .map { "\($0.status) \($0.text)" }
    }

    /// The responses in `bytes`, each complete (status line, fields, Content-Length body); anything
    /// left over is a failure.
    static func responses(in bytes: [UInt8], label: String) throws -> [Reply] {
        var responses: [Reply] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let end = rest.firstRange(of: Array("\r\n\r\n".utf8)) else {
                throw ReplyError(description: "\(label): an incomplete response head: \(String(decoding: rest, as: UTF8.self))")
            }
            let lines = String(decoding: rest[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let statusLine = lines[0].split(separator: " ", maxSplits: 2)
            guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
                throw ReplyError(description: "\(label): a bad status line: \(lines[0])")
            }
            let headers = lines.dropFirst().map { line -> (String, String) in
                let parts = line.split(separator: ":", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : "")
            }
            var response = Reply(status: status, headers: headers, body: [])
            rest = rest[end.upperBound...]
            let length = status == 100 ? 0 : try XCTUnwrap(response.header("content-length").flatMap { Int($0) }, "\(label): no Content-Length")
            guard rest.count >= length else { throw ReplyError(description: "\(label): a body cut short") }
            response.body = Array(rest.prefix(length))
            rest = rest.dropFirst(length)
            responses.append(response)
        }
        return responses
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.firstRange(of: needle) != nil
    }

    /// One response as the server sent it.
    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    /// Bytes from the server that are not a sequence of complete responses.
    struct ReplyError: Error, CustomStringConvertible {
        let description: String
    }
}
