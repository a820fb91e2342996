import ArtifactFormats
import Foundation
import Inference
import LightGBM
import XCTest

/// Parity with LightGBM 4.7's own predictions, and refusal of damaged or unsupported models.
///
/// The fixtures come from training/scripts/make_lightgbm_fixtures.py: each `<name>.txt` is a saved
/// model and `<name>.json` holds float32 input rows (null = NaN, "inf"/"-inf") and LightGBM's
/// `predict(rows, raw_score=True)` for them, also as exact hex floats.
final class TreeEnsembleTests: XCTestCase {
    /// Located from this file rather than as a bundle resource, so Package.swift needs no resources entry.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/lightgbm")

    static let parityFixtures = ["numeric_nan", "numeric_zero_missing", "categorical", "single_leaf"]

    // MARK: Parity

    func testParityWithLightGBMSingleRow() throws {
        for name in Self.parityFixtures {
            let fixture = try Fixture(name)
            let model = try fixture.model()
            XCTAssertEqual(model.featureCount, fixture.featureCount, name)
            XCTAssertEqual(model.treeCount, fixture.treeCount, name)
            let predictions = fixture.rows.map { row in row.withUnsafeBufferPointer { model.predict($0) } }
            let (maxError, differentBits) = compare(predictions, fixture.expected)
            print("\(name): \(fixture.rows.count) rows, single-row max abs error \(maxError), \(differentBits) not bit-identical")
            XCTAssertLessThanOrEqual(maxError, 1e-9, name)
            XCTAssertEqual(differentBits, 0, "\(name): every prediction should be LightGBM's to the bit")
        }
    }

    func testParityWithLightGBMBatched() throws {
        for name in Self.parityFixtures {
            let fixture = try Fixture(name)
            let model = try fixture.model()
            // Padding between rows, filled with values that would change the result if read.
            for padding in [0, 3] {
                let stride = fixture.featureCount + padding
                var flat = [Float](repeating: 12_345.5, count: fixture.rows.count * stride)
                for (r, row) in fixture.rows.enumerated() {
                    for (c, value) in row.enumerated() { flat[r * stride + c] = value }
                }
                var output = [Double](repeating: .nan, count: fixture.rows.count)
                flat.withUnsafeBufferPointer { rows in
                    output.withUnsafeMutableBufferPointer { out in
                        model.predict(rows: rows.baseAddress!, count: fixture.rows.count, stride: stride, into: out.baseAddress!)
                    }
                }
                let (maxError, differentBits) = compare(output, fixture.expected)
                print("\(name): batched (stride \(stride)) max abs error \(maxError), \(differentBits) not bit-identical")
                XCTAssertLessThanOrEqual(maxError, 1e-9, name)
                XCTAssertEqual(differentBits, 0, name)
            }
        }
    }

    func testBatchedWithZeroRowsWritesNothing() throws {
        let model = try Fixture("numeric_nan").model()
        var output = [Double](repeating: 7, count: 1)
        let row = [Float](repeating: 0, count: model.featureCount)
        row.withUnsafeBufferPointer { rows in
            output.withUnsafeMutableBufferPointer { model.predict(rows: rows.baseAddress!, count: 0, stride: 0, into: $0.baseAddress!) }
        }
        XCTAssertEqual(output, [7])
    }

    func testFixturesCoverTheDecisionPaths() throws {
        // The parity tests only mean something if the models contain these paths.
        let numeric = try Fixture("numeric_nan").text
        XCTAssert(numeric.contains("decision_type=") && decisionTypes(numeric).isSuperset(of: [8, 10]), "NaN default right and left")
        XCTAssert(decisionTypes(try Fixture("numeric_zero_missing").text).isSuperset(of: [4, 6]), "Zero default right and left")
        let categorical = try Fixture("categorical").text
        XCTAssert(decisionTypes(categorical).isSuperset(of: [1, 9]), "categorical splits with missing type None and NaN")
        XCTAssert(categorical.contains("cat_boundaries=0 2"), "a bitset of two words (categories >= 32)")
        XCTAssert(try Fixture("single_leaf").text.contains("Tree=0\nnum_leaves=1\n"))
    }

    func testWindowsLineEndingsGiveTheSamePredictions() throws {
        let fixture = try Fixture("categorical")
        let crlf = Array(fixture.text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let model = try TreeEnsemble(lightGBMText: crlf, file: "crlf.txt")
        let predictions = fixture.rows.map { row in row.withUnsafeBufferPointer { model.predict($0) } }
        XCTAssertEqual(compare(predictions, fixture.expected).differentBits, 0)
    }

    /// Leaf values and thresholds must be parsed exactly as strtod would (correctly rounded).
    func testNumbersAreParsedCorrectlyRounded() throws {
        var generator = SplitMix64(seed: 42)
        var texts = ["0", "-0", "1", "0.1", "1e-35", "1.0000000180025095e-35", "123456789012345678901234",
                     "9007199254740993", "9007199254740992", "1e23", "8.98846567431158e307",
                     "1.7976931348623157e308", "2.2250738585072014e-308", "4.9406564584124654e-324",
                     "0.30000000000000004", "-2.5E+3", "+7.25", "1e22", "1e-22", "3.14159265358979323846264338327950288",
                     "0.000000000000000000000000000001", "inf", "-inf", "1e400"]
        for _ in 0..<3000 {
            let value = Double(bitPattern: generator.next() & 0x7fef_ffff_ffff_ffff | (generator.next() & 1) << 63)
            let scaled = Double(Int64(bitPattern: generator.next()) % 1_000_000) / 1000
            texts += ["\(value)", String(format: "%.17g", value), String(format: "%.17g", scaled), "\(scaled)"]
        }
        for text in texts {
            let model = try TreeEnsemble(lightGBMText: Array(singleLeafModel(leafValue: text).utf8), file: "m.txt")
            let predicted = [Float(0)].withUnsafeBufferPointer { model.predict($0) }
            // LightGBM's sum starts at 0.0, so a leaf of -0.0 predicts +0.0.
            let expected = try 0.0 + XCTUnwrap(Double(text), text)
            XCTAssertEqual(predicted.bitPattern, expected.bitPattern, text)
        }
    }

    // MARK: Refusals

    func testEmptyFile() {
        assertMalformed([], contains: "empty")
    }

    func testGarbageBytes() {
        var generator = SplitMix64(seed: 7)
        for length in [1, 2, 10, 100, 5000] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            assertMalformed(bytes, contains: "")
        }
        assertMalformed(Array("{\"tree_info\": []}".utf8), contains: "not a LightGBM text model")
        assertMalformed([0, 0, 0, 0xff, 0xfe], contains: "not a LightGBM text model")
    }

    func testTruncatedTextIsRefusedWhereverItEnds() throws {
        let text = try Fixture("categorical").bytes
        let end = try XCTUnwrap(range(of: "end of trees", in: text)).upperBound
        var cut = 0
        while cut < end {
            assertMalformed(Array(text[0..<cut]), contains: "")
            cut += cut < 400 ? 7 : 131
        }
        assertMalformed(Array(text[0..<(end - 1)]), contains: "")
        assertMalformed(Array(text[0..<(end - 13)]), contains: "end of trees")
        XCTAssertNoThrow(try TreeEnsemble(lightGBMText: Array(text[0..<end]), file: "f.txt"))
    }

    func testMissingEndOfTrees() throws {
        let text = try Fixture("numeric_nan").text.replacingOccurrences(of: "end of trees", with: "")
        assertMalformed(Array(text.utf8), contains: "expected Tree=24 or \"end of trees\", found \"feature_importances:\"")
        let cut = String(text[..<text.range(of: "feature_importances:")!.lowerBound])
        assertMalformed(Array(cut.utf8), contains: "truncated: no \"end of trees\" after Tree=23")
    }

    func testNoTreeSections() throws {
        let text = try Fixture("numeric_nan").text
        let header = String(text[..<text.range(of: "Tree=0")!.lowerBound])
        assertMalformed(Array(header.utf8), contains: "no Tree= section")
        assertMalformed(Array((header + "end of trees\n").utf8), contains: "no Tree= section")
    }

    func testArrayLengthMismatch() throws {
        let text = try editTree(3, of: "numeric_nan", key: "left_child") { values in Array(values.dropLast()) }
        assertMalformed(text, contains: "Tree=3: left_child has 6 values, expected 7")
        let leaves = try editTree(5, of: "numeric_nan", key: "leaf_value") { $0 + ["0.5"] }
        assertMalformed(leaves, contains: "Tree=5: leaf_value has 9 values, expected 8")
        let thresholds = try editTree(0, of: "numeric_nan", key: "threshold") { Array($0.dropFirst()) }
        assertMalformed(thresholds, contains: "Tree=0: threshold has 6 values, expected 7")
        let decisions = try editTree(2, of: "numeric_nan", key: "decision_type") { Array($0.dropFirst()) }
        assertMalformed(decisions, contains: "Tree=2: decision_type has 6 values, expected 7")
    }

    func testChildIndexOutOfRange() throws {
        assertMalformed(try editTree(1, of: "numeric_nan", key: "left_child") { values in ["99"] + values.dropFirst() },
                        contains: "Tree=1: left_child of node 0 is node 99")
        assertMalformed(try editTree(1, of: "numeric_nan", key: "right_child") { values in values.dropLast() + ["-99"] },
                        contains: "Tree=1: right_child of node 6 is leaf 98")
        assertMalformed(try editTree(1, of: "numeric_nan", key: "right_child") { values in values.dropLast() + ["-2147483649"] },
                        contains: "Tree=1: right_child of node 6 is leaf 2147483648")
    }

    func testChildPointingBackIsRefused() throws {
        // A child before its parent could make a cycle; LightGBM never writes one.
        let text = try editTree(4, of: "numeric_nan", key: "left_child") { values in
            var values = values
            values[values.count - 1] = "0"
            return values
        }
        assertMalformed(text, contains: "Tree=4: left_child of node 6 is node 0")
    }

    func testFeatureIndexBeyondMaxFeatureIdx() throws {
        let text = try editTree(2, of: "numeric_nan", key: "split_feature") { values in ["5"] + values.dropFirst() }
        assertMalformed(text, contains: "Tree=2: split_feature 5 of node 0 is outside 0...max_feature_idx (4)")
        let negative = try editTree(2, of: "numeric_nan", key: "split_feature") { values in ["-1"] + values.dropFirst() }
        assertMalformed(negative, contains: "Tree=2: split_feature -1")
    }

    func testBadNumbers() throws {
        assertMalformed(try editTree(0, of: "numeric_nan", key: "leaf_value") { ["abc"] + $0.dropFirst() },
                        contains: "Tree=0: leaf_value value \"abc\" is not a number")
        assertMalformed(try editTree(0, of: "numeric_nan", key: "threshold") { ["1.5.2"] + $0.dropFirst() },
                        contains: "Tree=0: threshold value \"1.5.2\" is not a number")
        assertMalformed(try editTree(0, of: "numeric_nan", key: "decision_type") { ["12"] + $0.dropFirst() },
                        contains: "missing type 3")
        assertMalformed(try editTree(0, of: "numeric_nan", key: "decision_type") { ["1"] + $0.dropFirst() },
                        contains: "Tree=0: node 0 is categorical but num_cat=0")
    }

    func testCategoricalBitsetErrors() throws {
        let tree = try XCTUnwrap(firstTree(withKey: "cat_boundaries", in: "categorical"))
        assertMalformed(try editTree(tree, of: "categorical", key: "cat_threshold") { Array($0.dropLast()) },
                        contains: "Tree=\(tree): cat_threshold has")
        assertMalformed(try editTree(tree, of: "categorical", key: "cat_boundaries") { values in
            var values = values
            values[1] = "99"
            return values
        }, contains: "Tree=\(tree): cat_boundaries are not increasing")
        assertMalformed(try editTree(tree, of: "categorical", key: "cat_threshold") { ["4294967296"] + $0.dropFirst() },
                        contains: "is not an integer")
        // A categorical split's threshold is its bitset's index, which must exist.
        let text = try Fixture("categorical").text
        let block = treeBlock(tree, in: text)
        let decisions = value(of: "decision_type", in: block).split(separator: " ")
        let node = try XCTUnwrap(decisions.firstIndex { Int($0)! & 1 == 1 })
        assertMalformed(try editTree(tree, of: "categorical", key: "threshold") { values in
            var values = values
            values[node] = "250"
            return values
        }, contains: "Tree=\(tree): categorical node \(node) has threshold 250.0")
    }

    func testTreeSizesMustMatchTheTrees() throws {
        let text = try Fixture("numeric_nan").text
        let withoutLastTree = text.replacingOccurrences(of: treeBlock(23, in: text), with: "")
        assertMalformed(Array(withoutLastTree.utf8), contains: "tree_sizes lists 24 trees, the file has 23")
    }

    func testTreesOutOfOrder() throws {
        let text = try Fixture("numeric_nan").text.replacingOccurrences(of: "Tree=7\n", with: "Tree=8\n")
        assertMalformed(Array(text.utf8), contains: "expected Tree=7, found \"Tree=8\"")
    }

    func testLinearTreesAreUnsupported() throws {
        let bytes = try Fixture("linear_tree").bytes
        assertUnsupported(bytes, contains: "Tree=0: linear trees (is_linear=1) are not supported")
    }

    func testRandomForestIsUnsupported() throws {
        let fixture = try Fixture("random_forest")
        XCTAssert(fixture.text.contains("\naverage_output\n"))
        assertUnsupported(fixture.bytes, contains: "average_output")
    }

    func testMulticlassIsUnsupported() throws {
        let text = try Fixture("numeric_nan").text
        assertUnsupported(Array(text.replacingOccurrences(of: "num_class=1\n", with: "num_class=3\n").utf8), contains: "num_class=3")
        assertUnsupported(Array(text.replacingOccurrences(of: "num_tree_per_iteration=1\n", with: "num_tree_per_iteration=2\n").utf8),
                          contains: "num_tree_per_iteration=2")
        assertUnsupported(Array(text.replacingOccurrences(of: "version=v4", with: "version=v9").utf8), contains: "version")
    }

    /// Random byte damage must give either a model or an ArtifactError, never a trap or a hang.
    func testRandomDamageNeverCrashes() throws {
        let fixture = try Fixture("categorical")
        var generator = SplitMix64(seed: 2024)
        var parsed = 0
        for _ in 0..<400 {
            var bytes = fixture.bytes
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes[position] = Array("0123456789- .=\n".utf8)[Int(generator.next() % 15)]
                default: bytes.remove(at: position)
                }
            }
            do {
                let model = try TreeEnsemble(lightGBMText: bytes, file: "damaged.txt")
                parsed += 1
                for row in fixture.rows where row.count >= model.featureCount {
                    _ = row.withUnsafeBufferPointer { model.predict($0) }
                }
            } catch {
                XCTAssertEqual(error.file, "damaged.txt")
            }
        }
        print("random damage: \(parsed) of 400 damaged models still parsed (damage outside what prediction reads)")
    }

    func testZeroThresholdIsLightGBMs() {
        // kZeroThreshold is the float 1e-35f, compared as a double.
        XCTAssertEqual(Double(Float(1e-35)), 1.0000000180025095e-35)
    }

    // MARK: Helpers

    private func compare(_ actual: [Double], _ expected: [Double]) -> (maxError: Double, differentBits: Int) {
        XCTAssertEqual(actual.count, expected.count)
        var maxError = 0.0
        var different = 0
        for (a, e) in zip(actual, expected) {
            maxError = max(maxError, a.isNaN || e.isNaN ? .infinity : abs(a - e))
            if a.bitPattern != e.bitPattern { different += 1 }
        }
        return (maxError, different)
    }

    private func assertMalformed(_ bytes: [UInt8], contains text: String, line: UInt = #line) {
        assertRefused(bytes, line: line) { problem in
            guard case .malformed(let why) = problem else { return "expected .malformed, got \(problem)" }
            return text.isEmpty || why.contains(text) ? nil : "\"\(why)\" does not contain \"\(text)\""
        }
    }

    private func assertUnsupported(_ bytes: [UInt8], contains text: String, line: UInt = #line) {
        assertRefused(bytes, line: line) { problem in
            guard case .unsupported(let why) = problem else { return "expected .unsupported, got \(problem)" }
            return text.isEmpty || why.contains(text) ? nil : "\"\(why)\" does not contain \"\(text)\""
        }
    }

    private func assertRefused(_ bytes: [UInt8], line: UInt, _ check: (ArtifactError.Problem) -> String?) {
        do {
            let model = try TreeEnsemble(lightGBMText: bytes, file: "model.txt")
            XCTFail("parsed a model of \(model.treeCount) trees, expected an error", line: line)
        } catch {
            XCTAssertEqual(error.file, "model.txt", line: line)
            if let failure = check(error.problem) { XCTFail(failure, line: line) }
        }
    }

    /// The fixture's text with one tree's `key=` values rewritten.
    private func editTree(_ tree: Int, of name: String, key: String, _ edit: ([String]) -> [String]) throws -> [UInt8] {
        let text = try Fixture(name).text
        let block = treeBlock(tree, in: text)
        let old = value(of: key, in: block)
        let new = edit(old.split(separator: " ").map(String.init)).joined(separator: " ")
        let edited = block.replacingOccurrences(of: "\n\(key)=\(old)\n", with: "\n\(key)=\(new)\n")
        XCTAssertNotEqual(edited, block, "edit of \(key) in Tree=\(tree) changed nothing")
        return Array(text.replacingOccurrences(of: block, with: edited).utf8)
    }

    private func treeBlock(_ tree: Int, in text: String) -> String {
        let start = text.range(of: "Tree=\(tree)\n")!.lowerBound
        let end = text.range(of: "\n\n", range: start..<text.endIndex)!.upperBound
        return String(text[start..<end])
    }

    private func value(of key: String, in block: String) -> String {
        let line = block.split(separator: "\n").first { $0.hasPrefix("\(key)=") }!
        return String(line.dropFirst(key.count + 1))
    }

    private func firstTree(withKey key: String, in name: String) throws -> Int? {
        let text = try Fixture(name).text
        return (0..<100).first { text.contains("Tree=\($0)\n") && treeBlock($0, in: text).contains("\n\(key)=") }
    }

    private func decisionTypes(_ text: String) -> Set<Int> {
        var types = Set<Int>()
        for line in text.split(separator: "\n") where line.hasPrefix("decision_type=") {
            types.formUnion(line.dropFirst("decision_type=".count).split(separator: " ").compactMap { Int($0) })
        }
        return types
    }

    private func range(of needle: String, in bytes: [UInt8]) -> Range<Int>? {
        let pattern = Array(needle.utf8)
        guard bytes.count >= pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
            return start..<(start + pattern.count)
        }
        return nil
    }

    private func singleLeafModel(leafValue: String) -> String {
        """
        tree
        version=v4
        num_class=1
        num_tree_per_iteration=1
        label_index=0
        max_feature_idx=0
        objective=regression
        feature_names=x
        feature_infos=none
        tree_sizes=1

        Tree=0
        num_leaves=1
        num_cat=0
        split_feature=
        threshold=
        decision_type=
        left_child=
        right_child=
        leaf_value=\(leafValue)
        is_linear=0
        shrinkage=1


        end of trees

        """
    }
}

/// One fixture: the model text and its rows and LightGBM predictions.
private struct Fixture {
    let name: String
    let bytes: [UInt8]
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var featureCount = 0
    var treeCount = 0
    var rows: [[Float]] = []
    var expected: [Double] = []

    init(_ name: String) throws {
        self.name = name
        bytes = try [UInt8](Data(contentsOf: TreeEnsembleTests.fixtures.appendingPathComponent("\(name).txt")))
        let jsonURL = TreeEnsembleTests.fixtures.appendingPathComponent("\(name).json")
        guard FileManager.default.fileExists(atPath: jsonURL.path) else { return }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any])
        featureCount = try XCTUnwrap(json["feature_count"] as? Int)
        treeCount = try XCTUnwrap(json["tree_count"] as? Int)
        let rawRows = try XCTUnwrap(json["rows"] as? [[Any]])
        rows = try rawRows.map { row in try row.map(Self.float) }
        // Hex floats are exact; the decimal "expected" array is for people reading the file.
        expected = try XCTUnwrap(json["expected_hex"] as? [String]).map { try XCTUnwrap(Double($0), $0) }
    }

    func model() throws -> TreeEnsemble {
        try TreeEnsemble(lightGBMText: bytes, file: "\(name).txt")
    }

    private static func float(_ value: Any) throws -> Float {
        switch value {
        case is NSNull: return .nan
        case let text as String where text == "inf": return .infinity
        case let text as String where text == "-inf": return -.infinity
        case let number as NSNumber: return Float(number.doubleValue)
        default: throw FixtureError(description: "unexpected row value \(value)")
        }
    }
}

private struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// A small seeded generator, so the fuzz-style tests are reproducible.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
