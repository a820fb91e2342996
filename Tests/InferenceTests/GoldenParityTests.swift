import Inference
import Storage
import TestSupport
import XCTest

/// Every model and the preprocessor against the Python pipeline's golden vectors of the committed
/// version: raw context rows -> dense and tree inputs -> each model's baseline f(x).
final class GoldenParityTests: XCTestCase {
    struct Fixture {
        let folder: ArtifactFolder
        let golden: Golden
        let preprocessor: Preprocessor
        let chain: ModelChain
    }

    func fixture() throws -> Fixture {
        let folder = try CommittedModels.folder()
        let preprocessor = try Preprocessor(folder.manifest.preprocessor)
        return Fixture(folder: folder,
                       golden: try Golden(versionPath: folder.path, categorical: Set(preprocessor.categoricalNames)),
                       preprocessor: preprocessor,
                       chain: ModelChain.load(folder: folder, preprocessor: preprocessor))
    }

    /// The raw numeric inputs and category codes of a golden row.
    func raw(_ row: Golden.Row, _ f: Fixture) -> (numeric: [Double], codes: [Int32]) {
        let numeric = f.preprocessor.numericNames.map { row.numbers[$0] ?? .nan }
        let codes = f.preprocessor.categoricalNames.enumerated().map { i, name in
            f.preprocessor.code(feature: i, value: row.categories[name] ?? nil)
        }
        return (numeric, codes)
    }

    func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

    func testNoModelReadsThePrice() throws {
        let f = try fixture()
        let priceFeatures = f.folder.manifest.features.priceFeatures.map(\.name)
        XCTAssertTrue(priceFeatures.isEmpty, "format 2 has no price features: \(priceFeatures)")
        XCTAssertEqual(f.folder.manifest.target.name, "log_weekly_units_at_reference_price")
        XCTAssertGreaterThan(f.golden.rows.count, 20)
        XCTAssertTrue(f.golden.rows.allSatisfy { !$0.numbers.isEmpty }, "golden rows carry their raw context")
    }

    func testPreprocessorIsBitIdentical() throws {
        let f = try fixture()
        var dense = [Float](repeating: 0, count: f.preprocessor.denseWidth)
        var tree = [Float](repeating: 0, count: f.preprocessor.treeWidth)
        for (i, row) in f.golden.rows.enumerated() {
            let (numeric, codes) = raw(row, f)
            numeric.withUnsafeBufferPointer { n in
                codes.withUnsafeBufferPointer { c in
                    f.preprocessor.dense(numeric: n, codes: c, into: &dense)
                    f.preprocessor.tree(numeric: n, codes: c, into: &tree)
                }
            }
            XCTAssertEqual(dense.map(\.bitPattern), row.denseInput.map(\.bitPattern), "dense row \(i)")
            XCTAssertTrue(zip(tree, row.treeInput).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "tree row \(i)")
        }
    }

    func testEveryModelReproducesTheTrainedModel() throws {
        let f = try fixture()
        XCTAssertEqual(f.chain.models.map(\.name), ["mlp", "lightgbm", "svr", "elasticnet"])
        for model in f.chain.models {
            let width = model.layout == .dense ? f.preprocessor.denseWidth : f.preprocessor.treeWidth
            let inputs = f.golden.rows.flatMap { model.layout == .dense ? $0.denseInput : $0.treeInput }
            var output = [Double](repeating: .nan, count: f.golden.rows.count)
            inputs.withUnsafeBufferPointer { model.predict(inputs: $0.baseAddress!, count: f.golden.rows.count, stride: width, into: &output) }
            // golden.json's scale: |actual - expected| / max(1, |expected|), absolute near zero, relative
            // where an extrapolating network's log-quantity is large enough that one float32 ulp exceeds 1e-4.
            let errors = zip(output, f.golden.rows).map { actual, row in
                let expected = row.expected[model.name]!
                return abs(actual - expected) / max(1, abs(expected))
            }
            let worst = errors.max() ?? .infinity
            let tolerance = model.name == "mlp" ? 1e-4 : 1e-5
            XCTAssertLessThanOrEqual(worst, tolerance, "\(model.name): max |swift - python| / max(1, |python|) = \(worst)")
            print("parity \(model.name): max error \(worst) (relative to max(1, |expected|)) over \(errors.count) golden rows")
        }
    }
}
