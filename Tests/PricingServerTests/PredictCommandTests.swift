import Foundation
import TestSupport
import XCTest

/// `pricing-server predict`, run as a real process: the curve on success, a clear message and a
/// non-zero exit on bad input.
final class PredictCommandTests: XCTestCase {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    func testPrintsTheCurveAndTheRecommendation() throws {
        let r = try run(["predict", "85123A", "--models", CommittedModels.root, "--bins", "7", "--unit-cost", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("WHITE HANGING HEART T-LIGHT HOLDER"))
        XCTAssertEqual(r.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("     ") || $0.hasPrefix("    ") }.count, 7)
        XCTAssertTrue(r.stdout.contains("<- recommended") && r.stdout.contains("Recommended unit price:") && r.stdout.contains("profit"))
    }

    func testJSONOutput() throws {
        let r = try run(["predict", "85123A", "--models", CommittedModels.root, "--bins", "5", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((doc["curve"] as? [Any])?.count, 5)
        XCTAssertEqual(doc["model"] as? String, "mlp")
    }

    func testBadInputIsAClearMessageAndANonZeroExit() throws {
        let cases: [([String], String)] = [
            (["predict", "NOPE"], "unknown stockcode NOPE"),
            (["predict", "85123A", "--min", "3", "--max", "2"], "min price 3.0 is greater than max price 2.0"),
            (["predict", "85123A", "--bins", "1"], "between 2 and 1000, got 1"),
            (["predict", "85123A", "--bins", "1001"], "between 2 and 1000, got 1001"),
            (["predict", "85123A", "--bins", "many"], "'many' is invalid for '--bins <N>'"),
            (["predict", "85123A", "--min", "cheap"], "'cheap' is invalid for '--min <P>'"),
            (["predict", "85123A", "--min=-1"], "min price must be a number greater than 0 and at most 1000000"),
            (["predict", "85123A", "--unit-cost=-2"], "unit cost must be a number from 0 to 1000000"),
            (["predict", "85123A", "--min", "1", "--max", "1e20", "--bins", "3"], "max price must be a number greater than 0 and at most 1000000"),
            (["predict", "85123A", "--models", "/nonexistent/models"], "cannot load models from /nonexistent/models"),
        ]
        for (arguments, message) in cases {
            let r = try run(arguments + (arguments.contains("--models") ? [] : ["--models", CommittedModels.root]))
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
    }
}
