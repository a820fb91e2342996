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
                    // First layer, four items at a time per 16-column panel: independent accumulators
                    // keep both FMA pipes busy, as in `denseForward`.
                    var row = 0
                    while row < range.count {
                        let items = min(4, range.count - row)
                        for panel in 0..<panels {
                            let offset = panel * 16
                            var acc = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                            for i in 0..<items {
                                let item = range.lowerBound + row + i
                                let b = UnsafeRawPointer(basePtr + (item % contextCount) * width + offset).loadUnaligned(as: SIMD16<Float>.self)
                                switch i {
                                case 0: acc.0 = b
                                case 1: acc.1 = b
                                case 2: acc.2 = b
                                default: acc.3 = b
                                }
                            }
                            let x = priceInputs + (range.lowerBound + row) * p
                            for q in 0..<p {
                                let w = UnsafeRawPointer(wp + q * width + offset).loadUnaligned(as: SIMD16<Float>.self)
                                acc.0.addProduct(SIMD16(repeating: x[q]), w)
                                if items > 1 { acc.1.addProduct(SIMD16(repeating: x[p + q]), w) }
                                if items > 2 { acc.2.addProduct(SIMD16(repeating: x[2 * p + q]), w) }
                                if items > 3 { acc.3.addProduct(SIMD16(repeating: x[3 * p + q]), w) }
                            }
                            let zero = SIMD16<Float>()
                            let h = scratch + row * width + offset
                            acc.0.replace(with: zero, where: acc.0 .< zero)
                            UnsafeMutableRawPointer(h).storeBytes(of: acc.0, as: SIMD16<Float>.self)
                            if items > 1 {
                                acc.1.replace(with: zero, where: acc.1 .< zero)
                                UnsafeMutableRawPointer(h + width).storeBytes(of: acc.1, as: SIMD16<Float>.self)
                            }
                            if items > 2 {
                                acc.2.replace(with: zero, where: acc.2 .< zero)
                                UnsafeMutableRawPointer(h + 2 * width).storeBytes(of: acc.2, as: SIMD16<Float>.self)
                            }
                            if items > 3 {
                                acc.3.replace(with: zero, where: acc.3 .< zero)
                                UnsafeMutableRawPointer(h + 3 * width).storeBytes(of: acc.3, as: SIMD16<Float>.self)
                            }
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
