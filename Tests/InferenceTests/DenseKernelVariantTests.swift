import Foundation
import Inference
import TestSupport
import XCTest

/// Every dense kernel variant this CPU runs against a plain scalar forward pass (in Double) and
/// against each other, on shapes that exercise every tile and remainder: row counts around the
/// 8- and 4-row tiles, output counts around the 16-column panels and the 32-column pair, one output,
/// one input, strided buffers.
final class DenseKernelVariantTests: XCTestCase {
    /// A deterministic generator, so a failing shape reproduces.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(Double(z >> 40) / Double(1 << 24) * 2 - 1)  // [-1, 1)
        }
        mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
    }

    /// act(x · Wᵀ + b) row by row in Double, from PyTorch's row-major weight: the plain forward pass.
    static func scalarLayer(_ x: [Float], rows: Int, weight: [Float], bias: [Float], inputs: Int, outputs: Int,
                            relu: Bool) -> (values: [Double], scale: [Double]) {
        var values = [Double](repeating: 0, count: rows * outputs), scale = values
        for r in 0..<rows {
            for o in 0..<outputs {
                var sum = Double(bias[o]), magnitude = abs(Double(bias[o]))
                for k in 0..<inputs {
                    let term = Double(x[r * inputs + k]) * Double(weight[o * inputs + k])
                    sum += term
                    magnitude += abs(term)
                }
                values[r * outputs + o] = relu ? max(0, sum) : sum
                scale[r * outputs + o] = magnitude
            }
        }
        return (values, scale)
    }

    /// One layer through `variant` with strided input and output rows; returns the `outputs` columns.
    static func kernelLayer(_ layer: DenseLayer, _ x: [Float], rows: Int, variant: DenseKernelVariant,
                            inPad: Int, outPad: Int) -> [Float] {
        let inStride = layer.inputs + inPad, outStride = layer.paddedOutputs + outPad
        var strided = [Float](repeating: .nan, count: rows * inStride)  // padding must never be read
        for r in 0..<rows { for k in 0..<layer.inputs { strided[r * inStride + k] = x[r * layer.inputs + k] } }
        var out = [Float](repeating: .nan, count: rows * outStride)
        strided.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                denseForward(layer, variant: variant, input: input.baseAddress!, inStride: inStride, rows: rows,
                             output: output.baseAddress!, outStride: outStride)
            }
        }
        return (0..<rows).flatMap { r in (0..<layer.outputs).map { out[r * outStride + $0] } }
    }

    func testEveryVariantAgreesWithTheScalarForwardPassOnOddShapes() {
        var rng = SplitMix(state: 42)
        let variants = DenseKernelVariant.supported
        XCTAssertTrue(variants.contains(.generic))
        var checked = 0
        for rows in [1, 3, 4, 5, 7, 8, 9, 12, 13, 17, 64, 67] {
            for inputs in [1, 3, 16, 17, 33] {
                for outputs in [1, 2, 15, 16, 17, 31, 32, 33, 48, 90] {
                    let weight = rng.floats(inputs * outputs), bias = rng.floats(outputs), x = rng.floats(rows * inputs)
                    let relu = (rows + outputs) % 2 == 0
                    let layer = DenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: outputs, relu: relu)
                    let reference = Self.scalarLayer(x, rows: rows, weight: weight, bias: bias, inputs: inputs, outputs: outputs, relu: relu)
                    var results: [DenseKernelVariant: [Float]] = [:]
                    for variant in variants {
                        let pads = (rows % 3, outputs % 2 == 0 ? 0 : 16)
                        let got = Self.kernelLayer(layer, x, rows: rows, variant: variant, inPad: pads.0, outPad: pads.1)
                        results[variant] = got
                        for i in 0..<got.count {
                            let tolerance = 1e-5 * reference.scale[i] + 1e-6
                            if abs(Double(got[i]) - reference.values[i]) > tolerance {
                                XCTFail("\(variant) \(rows)x\(inputs)·\(inputs)x\(outputs) relu=\(relu) [\(i)]: \(got[i]) vs \(reference.values[i])")
                                return
                            }
                        }
                        checked += 1
                    }
                    for variant in variants.dropFirst() {
                        let a = results[variants[0]]!, b = results[variant]!
                        for i in 0..<a.count where abs(a[i] - b[i]) > Float(2e-5 * reference.scale[i] + 1e-6) {
                            XCTFail("\(variants[0]) and \(variant) differ at \(rows)x\(inputs)·\(inputs)x\(outputs) [\(i)]: \(a[i]) vs \(b[i])")
                            return
                        }
                    }
                }
            }
        }
        XCTAssertEqual(checked, 12 * 5 * 10 * variants.count)
    }

    func testEveryVariantRunsAWholeNetworkLikeTheScalarForwardPass() {
        var rng = SplitMix(state: 7)
        let widths = [19, 37, 16, 5, 1]
        var layers: [DenseLayer] = [], weights: [[Float]] = [], biases: [[Float]] = []
        for (a, b) in zip(widths, widths.dropFirst()) {
            weights.append(rng.floats(a * b))
            biases.append(rng.floats(b))
            layers.append(DenseLayer(weight: weights.last!, bias: biases.last!, inputs: a, outputs: b, relu: b != 1))
        }
        let rows = 131  // two 64-row blocks and a remainder of 3
        let x = rng.floats(rows * widths[0])
        var activations = x.map(Double.init), scale = [Double](repeating: 0, count: rows)
        for (l, (a, b)) in zip(widths, widths.dropFirst()).enumerated() {
            let layer = Self.scalarLayer(activations.map(Float.init), rows: rows, weight: weights[l], bias: biases[l], inputs: a, outputs: b,
                                         relu: b != 1)
            activations = layer.values
            if b == 1 { scale = layer.scale }
        }
        let network = DenseNetwork(name: "test", inputWidth: widths[0], layers: layers)
        for variant in DenseKernelVariant.supported {
            var out = [Double](repeating: .nan, count: rows)
            x.withUnsafeBufferPointer { network.using(variant).predict(inputs: $0.baseAddress!, count: rows, stride: widths[0], into: &out) }
            for r in 0..<rows {
                XCTAssertEqual(out[r], activations[r], accuracy: 1e-4 * scale[r] + 1e-5, "\(variant) row \(r)")
            }
        }
    }

    func testTheCommittedNetworkGivesTheSameBaselinesWithEveryVariant() throws {
        let folder = try CommittedModels.folder()
        let pre = try Preprocessor(folder.manifest.preprocessor)
        let golden = try Golden(versionPath: folder.path, categorical: Set(pre.categoricalNames))
        let chain = ModelChain.load(folder: folder, preprocessor: pre)
        let network = try XCTUnwrap(chain.models.first as? DenseNetwork)
        let inputs = golden.rows.flatMap(\.denseInput)
        func predict(_ variant: DenseKernelVariant) -> [Double] {
            var out = [Double](repeating: .nan, count: golden.rows.count)
            inputs.withUnsafeBufferPointer { network.using(variant).predict(inputs: $0.baseAddress!, count: golden.rows.count,
                                                                            stride: network.inputWidth, into: &out) }
            return out
        }
        let selected = predict(network.kernel)
        XCTAssertEqual(network.kernel, DenseKernelVariant.selected)
        for variant in DenseKernelVariant.supported {
            let other = predict(variant)
            for i in selected.indices { XCTAssertEqual(other[i], selected[i], accuracy: 1e-4 * max(1, abs(selected[i])), "\(variant) row \(i)") }
        }
    }

    func testTheWidestVariantThisCPUReportsIsTheDefault() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags on this system")
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let v3 = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe", "popcnt"].allSatisfy(flags.contains)
        let v4 = v3 && ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        XCTAssertEqual(DenseKernelVariant.best, v4 ? .avx512 : v3 ? .avx2 : .generic, "cpuinfo flags: \(flags.sorted())")
        XCTAssertEqual(try DenseKernelVariant.fromEnvironment([:]), DenseKernelVariant.best)
        XCTAssertEqual(Set(CPUVectorFeatures.names).contains("AVX512F"), flags.contains("avx512f"))
    }

    func testTheOverrideNamesAVariantOrIsRefused() throws {
        for variant in DenseKernelVariant.supported {
            XCTAssertEqual(try DenseKernelVariant.fromEnvironment(["PRICING_KERNEL": variant.rawValue.uppercased()]), variant)
        }
        XCTAssertThrowsError(try DenseKernelVariant.fromEnvironment(["PRICING_KERNEL": "sse9"])) { error in
            XCTAssertEqual((error as? DenseKernelSelectionError)?.reason, .unknown)
            XCTAssertTrue("\(error)".contains("PRICING_KERNEL=sse9 is not a kernel variant (generic, avx2, avx512)"), "\(error)")
        }
        for variant in DenseKernelVariant.allCases where !DenseKernelVariant.supported.contains(variant) {
            XCTAssertThrowsError(try DenseKernelVariant.fromEnvironment(["PRICING_KERNEL": variant.rawValue])) { error in
                XCTAssertEqual((error as? DenseKernelSelectionError)?.reason, .unsupported(missing: variant.missingFeatures))
            }
        }
    }
}
