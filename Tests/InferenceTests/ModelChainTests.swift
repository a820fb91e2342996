import ArtifactFormats
import Foundation
import Inference
import Storage
import TestSupport
import XCTest

/// The fallback chain: a primary that cannot load, or that yields non-finite values, hands over to
/// the next model, and the answer says which model answered and why.
final class ModelChainTests: XCTestCase {
    func chain(_ scratch: ScratchVersion) throws -> ModelChain {
        let folder = try ArtifactFolder.load(path: scratch.path)
        return ModelChain.load(folder: folder, preprocessor: try Preprocessor(folder.manifest.preprocessor))
    }

    /// The first 50 golden rows of the committed version.
    func goldenRows() throws -> [Golden.Row] {
        let folder = try CommittedModels.folder()
        let pre = try Preprocessor(folder.manifest.preprocessor)
        return Array(try Golden(versionPath: folder.path, categorical: Set(pre.categoricalNames)).rows.prefix(50))
    }

    /// `model`'s predictions for `rows`, in the model's input layout.
    func predict(_ model: any DemandModel, _ rows: [Golden.Row]) -> [Double] {
        let inputs = rows.flatMap { model.layout == .dense ? $0.denseInput : $0.treeInput }
        var out = [Double](repeating: 0, count: rows.count)
        inputs.withUnsafeBufferPointer { model.predict(inputs: $0.baseAddress!, count: rows.count, stride: model.inputWidth, into: &out) }
        return out
    }

    func testPrimaryMissingFallsBackToLightGBM() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        try FileManager.default.removeItem(atPath: scratch.path + "/network.safetensors")
        let chain = try chain(scratch)
        let rows = try goldenRows()
        XCTAssertEqual(chain.models.map(\.name), ["lightgbm", "svr", "elasticnet"])
        let answer = try chain.answer { self.predict($0, rows) }
        XCTAssertEqual(answer.model, "lightgbm")
        XCTAssertEqual(answer.skipped.count, 1)
        XCTAssertTrue(answer.skipped[0].hasPrefix("mlp: failed to load (network.safetensors: file is missing)"), answer.skipped[0])
    }

    func testPrimaryThatCannotBeParsedFallsBack() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        try scratch.replaceSigned("network.safetensors", Array("not a safetensors file".utf8))
        let chain = try chain(scratch)
        let rows = try goldenRows()
        let answer = try chain.answer { self.predict($0, rows) }
        XCTAssertEqual(answer.model, "lightgbm")
        XCTAssertTrue(answer.skipped[0].contains("network.safetensors: malformed"), answer.skipped[0])
    }

    func testPrimaryProducingNaNFallsBack() throws {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        // A network whose output bias is NaN loads fine and answers NaN for every row.
        let original = try SafeTensors(bytes: scratch.read("network.safetensors"), file: "network.safetensors")
        var bytes = try scratch.read("network.safetensors")
        let bias = try original.tensor("output.bias", dtype: .f32)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let at = 8 + headerLength + bias.range.lowerBound
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { for i in 0..<4 { bytes[at + i] = $0[i] } }
        try scratch.replaceSigned("network.safetensors", bytes)
        let chain = try chain(scratch)
        let rows = try goldenRows()
        XCTAssertEqual(chain.models.first?.name, "mlp")
        let answer = try chain.answer { self.predict($0, rows) }
        XCTAssertEqual(answer.model, "lightgbm")
        XCTAssertEqual(answer.skipped, ["mlp: produced 50 non-finite values of 50"])
        XCTAssertTrue(answer.values.allSatisfy(\.isFinite))
    }

    func testNoModelAnswering() {
        let chain = ModelChain(entries: [.failed(name: "mlp", reason: "gone"), .failed(name: "svr", reason: "also gone")])
        XCTAssertThrowsError(try chain.answer { _ in [] }) { error in
            XCTAssertEqual((error as? ModelChain.NoModelAnswered)?.reasons,
                           ["mlp: failed to load (gone)", "svr: failed to load (also gone)"])
        }
    }
}
