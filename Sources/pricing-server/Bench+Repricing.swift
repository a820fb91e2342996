import Dispatch
import Foundation
import HTTPServer
import Pricing
import PricingAPI
#if canImport(Glibc)
import Glibc
#endif

/// The repricing benchmark: a whole-catalogue run on the batch path next to what the same products cost
/// as single default predict-price sweeps (measured in the same run), and how soon the first row of
/// `GET /v1/recommendations` arrives over loopback once the run is cached.
extension Bench {
    func measureRepricing(_ engine: PricingEngine, into report: inout BenchReport) throws {
        let products = engine.store.products.count
        let rules = PricingRules()
        // A freshly loaded version first: its run also inflates every feature shard.
        let fresh = try PricingEngine(path: options.models)
        let coldStart = DispatchTime.now().uptimeNanoseconds
        let coldRun = try fresh.reprice(nil, rules: rules)
        let coldSeconds = Double(DispatchTime.now().uptimeNanoseconds - coldStart) / 1e9
        guard coldRun.rows.count == products, coldRun.skipped.isEmpty else {
            throw CommandFailure("repricing run priced \(coldRun.rows.count) of \(products) products: \(coldRun.skipped.prefix(3))")
        }
        let warm = Stopwatch.median(repeats: max(3, repeats / 3)) { _ = try! engine.reprice(nil, rules: rules) }
        // The loop of single requests: the default sweep (100 prices, its decision) of every 10th product,
        // per product, times the catalogue.
        let sample = stride(from: 0, to: products, by: 10).map { engine.store.products[$0].stockcode }
        let sampleSeconds = Stopwatch.median(repeats: 3) {
            for code in sample { _ = try! engine.sweep(SweepRequest(stockcode: code)) }
        }
        let loop = sampleSeconds / Double(sample.count) * Double(products)
        report.add("repricing: whole catalogue, batch path (\(products) products, default rules)", seconds: warm)
        report.add("repricing: whole catalogue, first run on a freshly loaded version (inflates every feature shard)", seconds: coldSeconds)
        report.add("repricing: one default predict-price sweep × \(products) products (same run)", seconds: loop)
        report.note(String(format: "repricing: %d products in %.0f ms (first run on a fresh version %.0f ms; goal ≤ 2000 ms); "
                           + "one default sweep × %d products = %.0f ms -> the batch path is %.1f× faster than a loop of single requests",
                           products, warm * 1000, coldSeconds * 1000, products, loop * 1000, loop / warm))
        let firstRow = try measureFirstRow(engine, rules: rules)
        report.add("repricing: first row of GET /v1/recommendations over loopback, warm cache", seconds: firstRow)
        report.note(String(format: "repricing: first row of GET /v1/recommendations (warm cache) after %.1f ms (goal ≤ 100 ms)", firstRow * 1000))
    }

    /// Median time from sending `GET /v1/recommendations` to receiving its first row, over loopback, once
    /// the run is in the router's cache.
    func measureFirstRow(_ engine: PricingEngine, rules: PricingRules) throws -> Double {
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: []),
                                                                                   pricingRules: rules))
        let port = try server.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        _ = try timeToFirstRow(port: port, untilEnd: true)  // computes and caches the run
        var times: [Double] = []
        for _ in 0..<max(5, repeats) { times.append(try timeToFirstRow(port: port, untilEnd: false)) }
        return Stopwatch.medianOf(times)
    }

    /// Seconds until the body holds the first row (its first key, `{"stockcode":`, which the document's
    /// head never contains; the head and the rows are separate chunks); with `untilEnd`, reads the whole answer.
    func timeToFirstRow(port: Int, untilEnd: Bool) throws -> Double {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandFailure("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CommandFailure("connect to 127.0.0.1:\(port) failed") }
        let request = Array("GET /v1/recommendations HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".utf8)
        let start = DispatchTime.now().uptimeNanoseconds
        guard send(fd, request, request.count, 0) == request.count else { throw CommandFailure("send failed") }
        let marker = Array(#"{"stockcode":"#.utf8)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var firstRow: Double?
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
            if firstRow == nil, contains(received, marker) {
                firstRow = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if !untilEnd { break }
            }
        }
        guard let firstRow else { throw CommandFailure("GET /v1/recommendations sent no row: \(String(decoding: received.prefix(300), as: UTF8.self))") }
        return firstRow
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }
}
