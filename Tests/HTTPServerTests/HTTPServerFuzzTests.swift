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

    func testRandomInputNeverCrashesTheServer() async throws {
        let (server, port) = try startServer(configuration: testConfiguration {
            $0.headerTimeout = .milliseconds(300)
            $0.bodyTimeout = .milliseconds(300)
            $0.lingerTimeout = .milliseconds(100)
            $0.maxBodyBytes = 4096
        })
        var rng = SeededGenerator(state: 0x5EED)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(6)
        var sent = 0
        var answered = 0
        while sent < 400 && clock.now < deadline {
            let input = Self.makeInput(&rng)
            let client = try TestClient(port: port, timeout: 2)
            try? client.send(input)
            client.shutdownWrite()  // EOF: an incomplete request must not keep the connection
            let reply = (try? client.readToEnd()) ?? []
            if String(decoding: reply.prefix(9), as: UTF8.self).hasPrefix("HTTP/1.1 ") { answered += 1 }
            sent += 1
        }
        XCTAssertGreaterThanOrEqual(sent, 200, "fuzz loop too slow")
        XCTAssertGreaterThan(answered, 0)

        // The server is alive and well.
        let client = try TestClient(port: port)
        try client.send(get("/still-alive"))
        XCTAssertEqual(try client.readResponse().text, "GET /still-alive")
        let drained = await waitUntil { server.connectionCount <= 1 }
        XCTAssertTrue(drained, "connections leaked: \(server.connectionCount)")
    }

    func testRandomInputInRandomFragmentsOnConcurrentConnections() async throws {
        let (server, port) = try startServer(configuration: testConfiguration {
            $0.headerTimeout = .milliseconds(300)
            $0.lingerTimeout = .milliseconds(100)
        })
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var rng = SeededGenerator(state: UInt64(worker) &* 7919)
                    for _ in 0..<25 {
                        let input = Self.makeInput(&rng)
                        guard let client = try? TestClient(port: port, timeout: 2) else { continue }
                        var offset = 0
                        while offset < input.count {
                            let size = Int.random(in: 1...64, using: &rng)
                            try? client.send(Array(input[offset..<min(input.count, offset + size)]))
                            offset += size
                        }
                        client.shutdownWrite()
                        _ = try? client.readToEnd()
                    }
                }
            }
        }
        let client = try TestClient(port: port)
        try client.send(get("/ok"))
        XCTAssertEqual(try client.readResponse().status, 200)
        let drained = await waitUntil { server.connectionCount <= 1 }
        XCTAssertTrue(drained, "connections leaked: \(server.connectionCount)")
    }
}
