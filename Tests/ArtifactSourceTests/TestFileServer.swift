import Foundation
import HTTPServer
import Logging
import Synchronization

/// A static file server on 127.0.0.1 serving a directory, built on this repository's HTTPServer, with
/// switches for the faults the HTTP source must survive or report.
final class TestFileServer: Sendable {
    /// Fault switches, by path relative to the served directory ("v1/lightgbm.txt").
    struct Faults: Sendable {
        /// Served with one byte flipped (same length, so only the checksum can tell).
        var corrupt: Set<String> = []
        /// Send this many body bytes, then nothing (the connection stays open).
        var stallAfter: [String: Int] = [:]
        /// Served with extra bytes after the real content, streamed (no Content-Length to warn).
        var oversize: Set<String> = []
        /// Served with 4 KiB of extra bytes and a Content-Length that says so.
        var oversizeDeclared: Set<String> = []
        /// Answer 500 to this many requests, whatever they ask for.
        var failFirst = 0
        /// Answer the next request for a path with a 302 to this absolute URL (once).
        var redirectOnce: [String: String] = [:]
    }

    let root: String
    private let server: HTTPServer
    let port: Int
    private let state: State

    /// Starts serving `root` on an ephemeral port.
    init(root: String) throws {
        var quiet = Logger(label: "test-file-server")
        quiet.logLevel = .critical
        let state = State(root: root)
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.lingerTimeout = .milliseconds(100)
        let server = HTTPServer(configuration: configuration, logger: quiet) { request in
            await state.handle(request)
        }
        self.port = try server.start()
        self.root = root
        self.server = server
        self.state = state
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Changes the fault switches.
    func setFaults(_ change: (inout Faults) -> Void) {
        state.faults.withLock { change(&$0) }
    }

    /// Paths requested so far (every request, including failed ones).
    var requests: [String] { state.requests.withLock { $0 } }

    /// Ends the stalled bodies (their connections close mid-body) and stops stalling new ones.
    func releaseStalls() {
        state.faults.withLock { $0.stallAfter = [:] }
        state.released.withLock { $0 = true }
    }

    /// Stops accepting, ends stalled bodies and closes every connection.
    func stop() async {
        releaseStalls()
        await server.shutdown(gracePeriod: .milliseconds(200))
    }

    private final class State: Sendable {
        let root: String
        let faults = Mutex(Faults())
        let requests = Mutex<[String]>([])
        /// Set by releaseStalls (and at shutdown): stalled bodies stop waiting.
        let released = Mutex(false)

        init(root: String) { self.root = root }

        struct Stalled: Error {}

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            let path = String((request.path.removingPercentEncoding ?? request.path).drop { $0 == "/" })
            requests.withLock { $0.append(path) }
            let fail = faults.withLock { faults -> Bool in
                guard faults.failFirst > 0 else { return false }
                faults.failFirst -= 1
                return true
            }
            if fail { return HTTPResponse(status: .internalServerError, body: "injected failure") }
            if let location = faults.withLock({ $0.redirectOnce.removeValue(forKey: path) }) {
                return HTTPResponse(status: .found, headers: ["Location": location], body: Array("moved".utf8))
            }
            guard request.method == "GET" || request.method == "HEAD" else { return HTTPResponse(status: .methodNotAllowed) }
            var isDirectory: ObjCBool = false
            let file = root + "/" + path
            guard !path.split(separator: "/").contains(".."), FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory),
                  !isDirectory.boolValue, let data = FileManager.default.contents(atPath: file) else {
                return HTTPResponse(status: .notFound, body: "not found: \(path)")
            }
            var bytes = [UInt8](data)
            let faults = self.faults.withLock { $0 }
            if faults.corrupt.contains(path), !bytes.isEmpty { bytes[bytes.count / 2] ^= 0xff }
            if let count = faults.stallAfter[path] {
                let head = Array(bytes.prefix(count))
                return .stream(headers: ["Content-Type": "application/octet-stream"]) { [self] writer in
                    try await writer.write(head)
                    let clock = ContinuousClock()
                    let giveUp = clock.now + .seconds(30)
                    while !self.released.withLock({ $0 }), clock.now < giveUp {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    throw Stalled()
                }
            }
            if faults.oversize.contains(path) {
                let body = bytes
                return .stream(headers: ["Content-Type": "application/octet-stream"]) { writer in
                    try await writer.write(body)
                    try await writer.write([UInt8](repeating: 0x20, count: 64 * 1024))
                }
            }
            if faults.oversizeDeclared.contains(path) { bytes += [UInt8](repeating: 0x20, count: 4096) }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: bytes)
        }
    }
}
