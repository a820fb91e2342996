/// The price sweep's shortcut: of the first layer's inputs only the few price features change with
/// the candidate price, so `W·x + b` is split into a per-context-row base (computed once per row)
/// plus the price columns' contribution (computed per row and price).
extension DenseNetwork {
    /// First-layer pre-activations (bias included, before ReLU) of `count` dense context rows, with
    /// the `priceColumns` treated as zero. Row-major, `layers[0].paddedOutputs` Floats per row.
    public func firstLayerBase(contextInputs: UnsafePointer<Float>, count: Int, stride: Int, priceColumns: [Int]) -> [Float] {
        var zeroed = Array(UnsafeBufferPointer(start: contextInputs, count: count * stride))
        for r in 0..<count { for c in priceColumns { zeroed[r * stride + c] = 0 } }
        let first = layers[0]
        let linear = DenseLayer(copying: first, relu: false)
        var base = [Float](repeating: 0, count: count * first.paddedOutputs)
        zeroed.withUnsafeBufferPointer { input in
            base.withUnsafeMutableBufferPointer { out in
                denseForward(linear, input: input.baseAddress!, inStride: stride, rows: count,
                             output: out.baseAddress!, outStride: first.paddedOutputs)
            }
        }
        return base
    }

    /// Predictions for `count` sweep items; item `i` is context row `i % contextCount` at the price whose
    /// dense price inputs are `priceInputs[i * priceColumns.count ..< (i + 1) * priceColumns.count]`.
    public func predictSweep(base: [Float], contextCount: Int, priceInputs: UnsafePointer<Float>, priceColumns: [Int],
                             count: Int, into output: UnsafeMutablePointer<Double>) {
        let first = layers[0]
        let width = first.paddedOutputs
        let panels = width / DenseLayer.panelWidth
        let p = priceColumns.count
        // The first layer's weights of the price columns, [p][width], from the packed panels.
        var priceWeights = [Float](repeating: 0, count: p * width)
        for (q, column) in priceColumns.enumerated() {
            for panel in 0..<panels {
                for j in 0..<16 { priceWeights[q * width + panel * 16 + j] = first.packed[(panel * first.inputs + column) * 16 + j] }
            }
        }
        let maxWidth = layers.map(\.paddedOutputs).max() ?? 16
        base.withUnsafeBufferPointer { baseBuffer in
            priceWeights.withUnsafeBufferPointer { weightBuffer in
                let basePtr = baseBuffer.baseAddress!
                let wp = weightBuffer.baseAddress!
                forEachChunk(count: count, chunk: Self.blockRows, scratchCount: blockScratch) { range, scratch in
                    for (row, item) in range.enumerated() {
                        let b = basePtr + (item % contextCount) * width
                        let x = priceInputs + item * p
                        let h = scratch + row * width
                        for panel in 0..<panels {
                            var acc = UnsafeRawPointer(b + panel * 16).loadUnaligned(as: SIMD16<Float>.self)
                            for q in 0..<p {
                                acc.addProduct(SIMD16(repeating: x[q]),
                                               UnsafeRawPointer(wp + q * width + panel * 16).loadUnaligned(as: SIMD16<Float>.self))
                            }
                            acc.replace(with: SIMD16<Float>(), where: acc .< SIMD16<Float>())
                            UnsafeMutableRawPointer(h + panel * 16).storeBytes(of: acc, as: SIMD16<Float>.self)
                        }
                    }
                    runFrom(layer: 1, activations: scratch, scratch: scratch + Self.blockRows * maxWidth,
                            rows: range.count, output: output + range.lowerBound)
                }
            }
        }
    }
}
