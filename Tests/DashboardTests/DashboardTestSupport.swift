import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TestSupport
import XCTest

struct DashboardTestFailure: Error, CustomStringConvertible {
    var description: String
}

/// Headless Chromium run as a command: load a page, let its script run (virtual time, which also
/// waits for the page's fetches), then dump the DOM, and take a screenshot in the same run when asked.
struct Chromium {
    let path: String

    struct Load {
        /// The serialized DOM after the scripts ran.
        var dom: String
        /// Console messages other than failed resource loads (the page logs nothing itself), and
        /// Content-Security-Policy refusals.
        var consoleProblems: [String]
        /// A PNG of the same page in the same browser run, when one was asked for.
        var screenshot: Data? = nil
    }

    /// Chromium at $CHROMIUM when set, else the Debian package's binary; a clear failure when it is missing.
    static func locate() throws -> Chromium {
        let environment = ProcessInfo.processInfo.environment
        let candidates = environment["CHROMIUM"].map { [$0] } ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DashboardTestFailure(description: """
                Chromium is not installed, and the dashboard tests need a headless browser: \
                install it with `apt-get install chromium` (`make test` does), or set CHROMIUM to its path. \
                Looked for: \(candidates.joined(separator: ", "))
                """)
        }
        return Chromium(path: path)
    }

    /// The page's DOM once its script settled (`#<root>[data-state]` is `done` or `error`: `app` on the
    /// product view, `catalogue` and `experiments` on theirs): virtual time first, then once more with a
    /// larger budget if the machine was too slow. With `screenshot`, the same browser run also writes a PNG
    /// of the page at that window size after the same budget, so a test that checks a page and keeps its
    /// picture starts Chromium once, not twice.
    func dumpDOM(_ url: String, root: String = "app", screenshot size: (width: Int, height: Int)? = nil) throws -> Load {
        var last = Load(dom: "", consoleProblems: [])
        for budget in [15_000, 45_000] {
            let file = NSTemporaryDirectory() + "dashboard-\(UUID().uuidString).png"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let picture = size.map { ["--window-size=\($0.width),\($0.height)", "--screenshot=\(file)"] } ?? []
            let (stdout, stderr) = try run(["--virtual-time-budget=\(budget)"] + picture + ["--dump-dom", url])
            last = Load(dom: stdout, consoleProblems: Self.consoleProblems(stderr))
            if size != nil {
                guard let png = FileManager.default.contents(atPath: file) else {
                    throw DashboardTestFailure(description: "Chromium wrote no screenshot for \(url)")
                }
                last.screenshot = png
            }
            let state = DOM(stdout).attribute("data-state", of: root)
            if state == "done" || state == "error" { return last }
        }
        return last
    }

    /// One HTTP request the browser made while loading a page, from its network log.
    struct Request {
        var method: String
        var url: String
        /// The navigation itself, or a request the page made (its origin is the initiator); the browser's
        /// own traffic (updates, autofill) has no initiating origin.
        var fromThePage: Bool
        /// The request's header lines ("Accept: ...").
        var headers: [String]
        /// The response's status line and header lines, when it was answered.
        var response: [String]

        func header(_ lines: [String], _ name: String) -> String? {
            lines.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        func requestHeader(_ name: String) -> String? { header(headers, name) }
        func responseHeader(_ name: String) -> String? { header(response, name) }
    }

    /// The page's DOM once its script settled, and every HTTP request Chromium made meanwhile (the page's
    /// and the browser's own), read from its network log (`--log-net-log`): what the page really fetched,
    /// whatever its source says.
    func load(_ url: String) throws -> (load: Load, requests: [Request]) {
        var last: (Load, [Request]) = (Load(dom: "", consoleProblems: []), [])
        for budget in [15_000, 45_000] {
            let log = NSTemporaryDirectory() + "dashboard-netlog-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: log) }
            let (stdout, stderr) = try run(["--virtual-time-budget=\(budget)", "--log-net-log=\(log)", "--dump-dom", url])
            last = (Load(dom: stdout, consoleProblems: Self.consoleProblems(stderr)), try Self.requests(inNetLog: log))
            let state = DOM(stdout).attribute("data-state", of: "app")
            if state == "done" || state == "error" { return last }
        }
        return last
    }

    /// The URL requests of a Chromium network log: each URL_REQUEST source's URL and method, with the
    /// headers its HTTP transaction sent and received.
    static func requests(inNetLog path: String) throws -> [Request] {
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if (try? JSONSerialization.jsonObject(with: Data(text.utf8))) == nil {
            // A log Chromium could not finish ends after an event and its comma: close the events array.
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasSuffix(",") { text.removeLast() }
            text += "]}"
        }
        guard let log = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let constants = log["constants"] as? [String: Any],
              let types = constants["logEventTypes"] as? [String: Int],
              let events = log["events"] as? [[String: Any]] else {
            throw DashboardTestFailure(description: "not a Chromium network log: \(path)")
        }
        let start = types["URL_REQUEST_START_JOB"], sent = types["HTTP_TRANSACTION_SEND_REQUEST_HEADERS"]
        let received = types["HTTP_TRANSACTION_READ_RESPONSE_HEADERS"]
        var order: [Int] = []
        var requests: [Int: Request] = [:]
        for event in events {
            guard let type = event["type"] as? Int, let source = (event["source"] as? [String: Any])?["id"] as? Int else { continue }
            let params = event["params"] as? [String: Any] ?? [:]
            if type == start, let url = params["url"] as? String {
                if requests[source] == nil { order.append(source) }
                let initiator = params["initiator"] as? String ?? "not an origin"
                requests[source] = Request(method: params["method"] as? String ?? "", url: url,
                                           fromThePage: params["request_type"] as? String == "main frame" || initiator != "not an origin",
                                           headers: [], response: [])
            } else if type == sent, let headers = params["headers"] as? [String] {
                requests[source]?.headers = headers
            } else if type == received, let headers = params["headers"] as? [String] {
                requests[source]?.response = headers
            }
        }
        return order.compactMap { requests[$0] }
    }

    /// Runs Chromium with a fresh profile and no background traffic; stdout and stderr go to files.
    func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> (stdout: String, stderr: String) {
        let scratch = NSTemporaryDirectory() + "dashboard-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
            "--mute-audio", "--hide-scrollbars", "--run-all-compositor-stages-before-draw",
            "--user-data-dir=\(scratch)/profile", "--enable-logging=stderr", "--v=0",
        ] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw DashboardTestFailure(description: "Chromium did not finish within \(Int(timeout)) s: \(arguments)")
        }
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw DashboardTestFailure(description: "Chromium exited with \(process.terminationStatus): \(stderr.suffix(2000))")
        }
        return (stdout, stderr)
    }

    static func consoleProblems(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { line in
            (line.contains(":CONSOLE") && !line.contains("Failed to load resource"))
                || line.contains("Content Security Policy") || line.contains("Refused to")
        }
    }
}

/// Just enough reading of a serialized DOM to find elements by id.
struct DOM {
    let html: String

    init(_ html: String) { self.html = html }

    /// The start tag of the element with this id.
    func startTag(id: String) -> String? {
        let pattern = #"<[a-zA-Z][a-zA-Z0-9-]*\b[^>]*\sid=""# + NSRegularExpression.escapedPattern(for: id) + #""[^>]*>"#
        return html.range(of: pattern, options: .regularExpression).map { String(html[$0]) }
    }

    /// An attribute of the element with this id ("" for a boolean attribute), decoded.
    func attribute(_ name: String, of id: String) -> String? {
        guard let tag = startTag(id: id) else { return nil }
        let pattern = #"\s"# + NSRegularExpression.escapedPattern(for: name) + #"(?:="([^"]*)")?(?=[\s/>])"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) else { return nil }
        guard let value = Range(match.range(at: 1), in: tag) else { return "" }
        return Self.decode(String(tag[value]))
    }

    /// The text of the element with this id, up to its first child tag, decoded and trimmed.
    func text(of id: String) -> String? {
        guard let tag = startTag(id: id), let range = html.range(of: tag) else { return nil }
        let rest = html[range.upperBound...]
        let text = rest.prefix { $0 != "<" }
        return Self.decode(String(text)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{00A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// The page's number formats (`money`, `signedAmount`, `chance` in the dashboard's script: en-GB,
/// U+2212 for a minus), so a test can compare what the page shows with the API's numbers.
enum PageFormat {
    /// A price: "£2.55", "£1.403" (2 to 3 decimals).
    static func money(_ value: Double) -> String {
        var digits = String(format: "%.3f", abs(value))
        if digits.hasSuffix("0") { digits.removeLast() }
        return (value < 0 ? "\u{2212}£" : "£") + grouped(digits)
    }

    /// A gain: "+£1.20", "−£0.35", "£0.00".
    static func signedAmount(_ value: Double) -> String {
        let digits = grouped(String(format: "%.2f", abs(value)))
        if digits == "0.00" { return "£0.00" }
        return (value < 0 ? "\u{2212}£" : "+£") + digits
    }

    /// A probability as a whole percentage: "<1%", "63%", ">99%".
    static func chance(_ p: Double) -> String {
        if p > 0 && p < 0.005 { return "<1%" }
        if p < 1 && p >= 0.995 { return ">99%" }
        return "\(Int((p * 100).rounded()))%"
    }

    /// Thousands separators in the integer part of a decimal string.
    static func grouped(_ digits: String) -> String {
        let parts = digits.split(separator: ".", maxSplits: 1)
        var integer = String(parts[0])
        var out = ""
        while integer.count > 3 {
            out = "," + integer.suffix(3) + out
            integer.removeLast(3)
        }
        return integer + out + (parts.count > 1 ? "." + parts[1] : "")
    }
}

/// A loopback HTTP/1.1 proxy in front of the server that rewrites the rows of its
/// `/v1/predict-price` answers (NDJSON or a JSON array) and passes everything else through: the
/// page, its assets, the catalogue. The tests use it to show the real page an older server's answer
/// (the decision fields removed) or a chosen decision, with the server's real curve. One thread per
/// connection; every answer closes its connection.
final class RewritingProxy: @unchecked Sendable {
    typealias Rewrite = @Sendable (inout [String: Any]) -> Void

    let port: Int
    private let listener: Int32
    private let upstream: Int
    private let rewrite: Rewrite
    private let lock = NSLock()
    private var stopped = false

    init(upstream: Int, rewrite: @escaping Rewrite) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DashboardTestFailure(description: "proxy: socket failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw DashboardTestFailure(description: "proxy: bind or listen failed: errno \(errno)")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        self.upstream = upstream
        self.rewrite = rewrite
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    func url(_ pathAndQuery: String) -> String { "http://127.0.0.1:\(port)\(pathAndQuery)" }

    /// Stops accepting (connections being answered finish on their own).
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// One GET through the proxy, as a test client would send it.
    func get(_ target: String, accept: String? = nil) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 30)
        try client.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            + (accept.map { "Accept: \($0)\r\n" } ?? "") + "\r\n")
        return try client.readResponse()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR && !isStopped { continue }
                return
            }
            Thread.detachNewThread { [self] in
                serve(client)
                close(client)
            }
        }
    }

    private func serve(_ client: Int32) {
        // A browser may open a connection it never uses: give up on it after a while.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 65_536, !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
            let count = recv(client, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            request += buffer[0..<count]
        }
        let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return }
        let method = String(requestLine[0]), target = String(requestLine[1])
        let accept = lines.dropFirst().first { $0.lowercased().hasPrefix("accept:") }
            .map { String($0.dropFirst("accept:".count)).trimmingCharacters(in: .whitespaces) }

        var response: TestClient.Response
        do {
            let upstreamClient = try TestClient(port: upstream, timeout: 30)
            try upstreamClient.send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(upstream)\r\nConnection: close\r\n"
                + (accept.map { "Accept: \($0)\r\n" } ?? "") + "\r\n")
            response = try upstreamClient.readResponse(head: method == "HEAD")
        } catch {
            let message = "proxy: \(error)"
            send(client, Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: \(message.utf8.count)\r\nConnection: close\r\n\r\n\(message)".utf8))
            return
        }
        if method == "GET", response.status == 200, target.hasPrefix("/v1/predict-price/") {
            response.body = rewriteRows(response.body)
        }
        var head = "HTTP/1.1 \(response.status) \(response.reason)\r\n"
        for (name, value) in response.headers
        where !["content-length", "transfer-encoding", "connection", "etag", "content-encoding"].contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        send(client, Array(head.utf8) + (method == "HEAD" ? [] : response.body))
    }

    private func rewriteRows(_ body: [UInt8]) -> [UInt8] {
        func rewritten(_ object: Any) -> Any {
            guard var row = object as? [String: Any] else { return object }
            rewrite(&row)
            return row
        }
        func encode(_ object: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        let text = String(decoding: body, as: UTF8.self)
        if let array = try? JSONSerialization.jsonObject(with: Data(body)) as? [Any] {
            return Array(encode(array.map(rewritten)).utf8)
        }
        var out = ""
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else { out += line + "\n"; continue }
            out += encode(rewritten(object)) + "\n"
        }
        return Array(out.utf8)
    }

    private func send(_ client: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            #if canImport(Glibc)
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #else
            let count = bytes[sent...].withUnsafeBytes { Darwin.send(client, $0.baseAddress, $0.count, 0) }
            #endif
            if count <= 0 { return }
            sent += count
        }
    }
}

/// Values for a proxy's rewrite (JSON values, only read).
struct SendableFields: @unchecked Sendable {
    let values: [String: Any]
}
