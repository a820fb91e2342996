import Inference
import XCTest

/// The one-output kernel (`denseDot`, a network's last layer) of every variant this CPU runs against
/// the plain forward pass in Double, on the sizes its unrolling makes awkward: rows around and between
/// its 8-row groups (0 and 1 included), inputs around its 8-wide vectors and the 16-wide panels, with
/// adjacent outputs (the one-vector-store path) and strided ones, and nothing written past the rows.
final class DenseDotTests: XCTestCase {
    typealias SplitMix = DenseKernelVariantTests.SplitMix

    /// One output column through `variant`; returns the whole output buffer, so that what lies between
    /// and after the rows can be checked too (it starts as `canary`).
    static func run(_ layer: DenseLayer, _ x: [Float], rows: Int, variant: DenseKernelVariant, inPad: Int, outStride: Int,
                    canary: Float) -> [Float] {
        let inStride = layer.inputs + inPad
        var strided = [Float](repeating: .nan, count: max(1, rows * inStride))  // padding must never be read
        for r in 0..<rows { for k in 0..<layer.inputs { strided[r * inStride + k] = x[r * layer.inputs + k] } }
        var out = [Float](repeating: canary, count: rows * outStride + 8)
        strided.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                denseForward(layer, variant: variant, input: input.baseAddress!, inStride: inStride, rows: rows,
                             output: output.baseAddress!, outStride: outStride)
            }
        }
        return out
    }

    func testEveryVariantAgreesWithThePlainDotProductOnAwkwardSizes() {
        var rng = SplitMix(state: 2024)
        let canary: Float = 12345
        let rowCounts = [0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 31, 33, 100]
        let inputCounts = [1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 64, 65]
        var checked = 0
        for rows in rowCounts {
            for inputs in inputCounts {
                let weight = rng.floats(inputs), bias = rng.floats(1), x = rng.floats(rows * inputs)
                let relu = (rows + inputs) % 2 == 1
                let layer = DenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: 1, relu: relu)
                let reference = DenseKernelVariantTests.scalarLayer(x, rows: rows, weight: weight, bias: bias, inputs: inputs,
                                                                    outputs: 1, relu: relu)
                for variant in DenseKernelVariant.supported {
                    for outStride in [1, 3] {
                        let out = Self.run(layer, x, rows: rows, variant: variant, inPad: inputs % 3, outStride: outStride,
                                           canary: canary)
                        let shape = "\(variant) \(rows)x\(inputs)·\(inputs)x1 relu=\(relu) outStride=\(outStride)"
                        for i in out.indices {
                            let r = i / outStride
                            guard i % outStride == 0, r < rows else {
                                XCTAssertEqual(out[i], canary, "\(shape): wrote [\(i)], outside the rows")
                                continue
                            }
                            let tolerance = 1e-5 * reference.scale[r] + 1e-6
                            XCTAssertEqual(Double(out[i]), reference.values[r], accuracy: tolerance, "\(shape) row \(r)")
                        }
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, rowCounts.count * inputCounts.count * DenseKernelVariant.supported.count * 2)
    }

    /// A NaN in one row's input stays in that row's output (ReLU included), and only there: the fallback
    /// chain's non-finite check must see it, and the other rows folded in the same group must not.
    func testANaNInputReachesOnlyItsOwnRow() {
        var rng = SplitMix(state: 99)
        let rows = 19, inputs = 32
        let weight = rng.floats(inputs), bias = rng.floats(1)
        for relu in [false, true] {
            let layer = DenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: 1, relu: relu)
            for nanRow in [0, 5, 7, 8, 15, 18] {
                var x = rng.floats(rows * inputs)
                x[nanRow * inputs + 13] = .nan
                for variant in DenseKernelVariant.supported {
                    let out = Self.run(layer, x, rows: rows, variant: variant, inPad: 0, outStride: 1, canary: 0)
                    for r in 0..<rows {
                        XCTAssertEqual(out[r].isNaN, r == nanRow, "\(variant) relu=\(relu) NaN in row \(nanRow), row \(r)")
                    }
                }
            }
        }
    }
}
