import Inference
import Storage
import TestSupport
import XCTest

/// Every model, the preprocessor and the price-feature function against the Python pipeline's golden
/// vectors of the committed version.
final class GoldenParityTests: XCTestCase {
    struct Fixture {
        let folder: ArtifactFolder
        let golden: Golden
        let preprocessor: Preprocessor
        let priceFunction: PriceFeatureFunction
        let chain: ModelChain
    }

    func fixture() throws -> Fixture {
        let folder = try CommittedModels.folder()
        let preprocessor = try Preprocessor(folder.manifest.preprocessor)
        return Fixture(folder: folder,
                       golden: try Golden(versionPath: folder.path, categorical: Set(preprocessor.categoricalNames)),
                       preprocessor: preprocessor,
                       priceFunction: try PriceFeatureFunction(specs: folder.manifest.features.priceFeatures),
                       chain: ModelChain.load(folder: folder, preprocessor: preprocessor))
    }

    /// The raw numeric inputs (price features computed by Swift) and category codes of a golden row.
    func raw(_ row: Golden.Row, _ f: Fixture) -> (numeric: [Double], codes: [Int32]) {
        var values: [String: Double] = row.numbers
        for (name, op) in zip(f.priceFunction.names, f.priceFunction.operations) {
            var stat = Double.nan
            if case .ratio(let column) = op { stat = row.numbers[column] ?? .nan }
            values[name] = PriceFeatureFunction.evaluate(op, price: row.unitPrice, stat: stat)
        }
        let numeric = f.preprocessor.numericNames.map { values[$0] ?? .nan }
        let codes = f.preprocessor.categoricalNames.enumerated().map { i, name in
            f.preprocessor.code(feature: i, value: row.categories[name] ?? nil)
        }
        return (numeric, codes)
    }

    func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

    func testPriceFeaturesMatchThePythonFunction() throws {
        let f = try fixture()
        XCTAssertGreaterThan(f.golden.rows.count, 100)
        for row in f.golden.rows {
            let (numeric, _) = raw(row, f)
            for name in f.priceFunction.names {
                let swift = numeric[f.preprocessor.numericNames.firstIndex(of: name)!]
                XCTAssertTrue(same(swift, row.priceFeatures[name]!), "\(name) at \(row.unitPrice): \(swift) vs \(row.priceFeatures[name]!)")
            }
        }
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

    func testNetworkShortcutMatchesTheFullForwardPass() throws {
        let f = try fixture()
        let network = try XCTUnwrap(f.chain.models.first as? DenseNetwork)
        let rows = f.golden.rows.prefix(40)
        let width = f.preprocessor.denseWidth
        let inputs = rows.flatMap(\.denseInput)
        let priceColumns = f.priceFunction.names.map { f.preprocessor.numericNames.firstIndex(of: $0)! }
        var full = [Double](repeating: 0, count: rows.count)
        var shortcut = [Double](repeating: 0, count: rows.count)
        inputs.withUnsafeBufferPointer { x in
            network.predict(inputs: x.baseAddress!, count: rows.count, stride: width, into: &full)
            let base = network.firstLayerBase(contextInputs: x.baseAddress!, count: rows.count, stride: width, priceColumns: priceColumns)
            let priceInputs = rows.flatMap { row in priceColumns.map { row.denseInput[$0] } }
            priceInputs.withUnsafeBufferPointer { p in
                network.predictSweep(base: base, contextCount: rows.count, priceInputs: p.baseAddress!, priceColumns: priceColumns,
                                     count: rows.count, into: &shortcut)
            }
        }
        for (a, b) in zip(full, shortcut) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }
}
