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
        base.withUnsafeBufferPointer { baseBuffer in
            priceWeights.withUnsafeBufferPointer { weightBuffer in
                let basePtr = baseBuffer.baseAddress!
                let wp = weightBuffer.baseAddress!
                forEachChunk(count: count, chunk: Self.blockRows, scratchCount: blockScratch) { range, scratch in
                    // First layer, four items at a time per 16-column panel: independent accumulators
                    // keep both FMA pipes busy, as in `denseForward`. A short last group repeats its
                    // last item in the spare accumulators, which are computed but not stored.
                    var row = 0
                    while row < range.count {
                        let items = min(4, range.count - row)
                        let i0 = range.lowerBound + row, i1 = i0 + min(1, items - 1)
                        let i2 = i0 + min(2, items - 1), i3 = i0 + min(3, items - 1)
                        let b0 = basePtr + (i0 % contextCount) * width, b1 = basePtr + (i1 % contextCount) * width
                        let b2 = basePtr + (i2 % contextCount) * width, b3 = basePtr + (i3 % contextCount) * width
                        let x0 = priceInputs + i0 * p, x1 = priceInputs + i1 * p
                        let x2 = priceInputs + i2 * p, x3 = priceInputs + i3 * p
                        for panel in 0..<panels {
                            let offset = panel * 16
                            var c0 = UnsafeRawPointer(b0 + offset).loadUnaligned(as: SIMD16<Float>.self)
                            var c1 = UnsafeRawPointer(b1 + offset).loadUnaligned(as: SIMD16<Float>.self)
                            var c2 = UnsafeRawPointer(b2 + offset).loadUnaligned(as: SIMD16<Float>.self)
                            var c3 = UnsafeRawPointer(b3 + offset).loadUnaligned(as: SIMD16<Float>.self)
                            for q in 0..<p {
                                let w = UnsafeRawPointer(wp + q * width + offset).loadUnaligned(as: SIMD16<Float>.self)
                                c0.addProduct(SIMD16(repeating: x0[q]), w)
                                c1.addProduct(SIMD16(repeating: x1[q]), w)
                                c2.addProduct(SIMD16(repeating: x2[q]), w)
                                c3.addProduct(SIMD16(repeating: x3[q]), w)
                            }
                            let zero = SIMD16<Float>()
                            c0.replace(with: zero, where: c0 .< zero)
                            c1.replace(with: zero, where: c1 .< zero)
                            c2.replace(with: zero, where: c2 .< zero)
                            c3.replace(with: zero, where: c3 .< zero)
                            let h = scratch + row * width + offset
                            UnsafeMutableRawPointer(h).storeBytes(of: c0, as: SIMD16<Float>.self)
                            if items > 1 { UnsafeMutableRawPointer(h + width).storeBytes(of: c1, as: SIMD16<Float>.self) }
                            if items > 2 { UnsafeMutableRawPointer(h + 2 * width).storeBytes(of: c2, as: SIMD16<Float>.self) }
                            if items > 3 { UnsafeMutableRawPointer(h + 3 * width).storeBytes(of: c3, as: SIMD16<Float>.self) }
                        }
                        row += items
                    }
                    runFrom(layer: 1, activations: scratch, scratch: scratch + Self.blockRows * maxWidth,
                            rows: range.count, output: output + range.lowerBound)
                }
            }
        }
    }
}
