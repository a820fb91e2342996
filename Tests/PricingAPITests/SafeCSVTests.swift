import Dispatch
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// CSV cells a spreadsheet would run as formulas come out neutralised (a leading `'`), as Python's
/// csv module reads them, while numeric columns stay plain numbers: descriptions planted in a model
/// version and served by the real router on a loopback socket, and stockcodes through ``CSVField``.
final class SafeCSVTests: XCTestCase {
    func testFormulaDescriptionsAreNeutralisedInTheAPIsCSV() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        let planted = try scratch.plantFormulaDescriptions()
        let engine = try PricingEngine(path: scratch.path)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: [])))
        let port = try server.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        // A current price far above the product's history, so some rows carry negative changes.
        let body = "stockcode,current_price\n" + planted.keys.sorted().map { "\($0),100" }.joined(separator: "\n") + "\n"
        let client = try TestClient(port: port, timeout: 60)
        try client.send("POST /v1/recommendations?format=csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/csv\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200, response.text)
        try Self.checkNeutralised(response.body, planted: planted)
    }

    func testStockcodeCellsAreNeutralisedAndNumbersAreNot() throws {
        var bytes = Array("stockcode,change_pct\r\n".utf8)
        for sample in FormulaCells.samples {
            CSVField.append(sample, to: &bytes)
            bytes += Array(",-12.5\r\n".utf8)
        }
        CSVField.append("85123A", to: &bytes)
        bytes += Array(",3\r\n".utf8)
        let rows = try Self.readWithPython(bytes)
        XCTAssertEqual(rows.dropFirst().map { $0[0] }, FormulaCells.samples.map { "'" + $0 } + ["85123A"])
        XCTAssertEqual(rows.dropFirst().map { Double($0[1]) }, Array(repeating: -12.5, count: FormulaCells.samples.count) + [3])
        XCTAssertEqual(CSVField.field("a,b"), #""a,b""#)
        XCTAssertEqual(CSVField.field(#"=1+"2""#), #""'=1+""2""""#)
    }

    /// Reads `csv` with Python and checks: each planted description is the sample behind a `'`, no text
    /// cell starts like a formula, and the numeric columns are plain numbers (negative ones included).
    static func checkNeutralised(_ csv: [UInt8], planted: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = try readWithPython(csv)
        let header = try XCTUnwrap(rows.first, file: file, line: line)
        XCTAssertEqual(header, RecommendationTable.names, file: file, line: line)
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let textColumns: Set<String> = ["stockcode", "description", "current_price_source", "decision", "binding_rule", "objective",
                                        "model", "model_version", "flags"]
        var seen: [String: String] = [:]
        var negatives = 0
        for row in rows.dropFirst() {
            seen[row[column["stockcode"]!]] = row[column["description"]!]
            for (name, index) in column {
                let cell = row[index]
                if textColumns.contains(name) {
                    XCTAssertFalse(CSVField.needsNeutralising(cell), "\(name) starts like a formula: \(cell.debugDescription)", file: file, line: line)
                } else if !cell.isEmpty {
                    let number = Double(cell)
                    XCTAssertNotNil(number, "\(name) is not a plain number: \(cell.debugDescription)", file: file, line: line)
                    if (number ?? 0) < 0 { negatives += 1 }
                }
            }
        }
        XCTAssertEqual(seen, planted.mapValues { "'" + $0 }, file: file, line: line)
        XCTAssertGreaterThan(negatives, 0, "no negative number to check", file: file, line: line)
    }

    static func readWithPython(_ csv: [UInt8]) throws -> [[String]] {
        let path = NSTemporaryDirectory() + "safe-csv-\(UUID().uuidString).csv"
        try Data(csv).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try FormulaCells.readWithPython(path)
    }
}
