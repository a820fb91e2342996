import ArtifactFormats
import Foundation
import Pricing
import TestSupport
import XCTest

/// Catalogue files the fuzz target fuzz-catalogue (Fuzz/) found, replayed through `Catalogue`. Each
/// lives in Fuzz/regressions/fuzz-catalogue/ so `make test-fuzz` replays it under the fuzzer's
/// properties too.
final class CatalogueFuzzRegressionTests: XCTestCase {
    /// fuzz-catalogue found `1\0` read as the ceiling 1: `Double(_:)` parses through a C string, which
    /// ends at the NUL, so whatever followed it was dropped without a word.
    func testNumberWithNULIsSkippedNotTruncated() throws {
        let input = try FuzzRegression.input("fuzz-catalogue", "nul-ends-number")
        XCTAssertEqual(input, Array("stockcode,ceiling\n5,1\0".utf8))
        let catalogue = try Catalogue(bytes: input, file: "c.csv")
        XCTAssertEqual(catalogue.items, [])
        XCTAssertEqual(catalogue.skipped.map(\.line), [2])
        XCTAssertEqual(catalogue.skipped.map(\.column), ["ceiling"])
        XCTAssertEqual(catalogue.skipped.map(\.stockcode), ["5"])
    }

    /// fuzz-catalogue found a line holding only `""` (an empty stockcode) dropped as if it were a blank
    /// line: both read as the fields `[""]`. It is now reported; a truly empty line is still passed over.
    func testQuotedEmptyLineIsReportedNotDropped() throws {
        let input = try FuzzRegression.input("fuzz-catalogue", "quoted-empty-line")
        XCTAssertEqual(input, Array("stockcode\n\"\"".utf8))
        let catalogue = try Catalogue(bytes: input, file: "c.csv")
        XCTAssertEqual(catalogue.items, [])
        XCTAssertEqual(catalogue.skipped.map(\.line), [2])
        XCTAssertEqual(catalogue.skipped.map(\.column), ["stockcode"])

        let blank = try Catalogue(bytes: Array("stockcode\n\n\r\nA1\n".utf8), file: "c.csv")
        XCTAssertEqual(blank.items.map(\.line), [4])
        XCTAssertEqual(blank.skipped, [])
        XCTAssertEqual(try CSVReader.records(Array("\n\"\"\n".utf8)).map(\.isBlank), [true, false])
    }
}
