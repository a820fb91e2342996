package import Inference

/// The model side of one sweep: context rows × candidate prices (price-major: item `k * rows + r` is
/// row r at price k), every price feature recomputed at every price, predicted log1p(quantity).
package struct PriceSweep {
    let engine: PricingEngine
    let rows: ContextRows
    let prices: [Double]

    package init(engine: PricingEngine, rows: ContextRows, prices: [Double]) {
        self.engine = engine
        self.rows = rows
        self.prices = prices
    }

    package var itemCount: Int { rows.count * prices.count }

    /// Predicted log1p(quantity) for every item, by `model`.
    package func logQuantities(_ model: any DemandModel) -> [Double] {
        var out = [Double](repeating: .nan, count: itemCount)
        out.withUnsafeMutableBufferPointer { output in
            if let network = model as? DenseNetwork {
                predictNetwork(network, into: output.baseAddress!)
            } else {
                var inputs = items(model.layout)
                let width = model.layout == .dense ? engine.preprocessor.denseWidth : engine.preprocessor.treeWidth
                inputs.withUnsafeMutableBufferPointer { buffer in
                    model.predict(inputs: buffer.baseAddress!, count: itemCount, stride: width, into: output.baseAddress!)
                }
            }
        }
        return out
    }

    /// Price feature `q` of context row `r` at price `price`, before preprocessing.
    @inline(__always)
    func priceFeature(_ q: Int, row r: Int, price: Double) -> Double {
        PriceFeatureFunction.evaluate(engine.priceFunction.operations[q], price: price,
                                      stat: rows.stats[r * engine.priceFunction.operations.count + q])
    }

    /// The network through its shortcut: the first layer's price-independent part once per context
    /// row, then per item only the price columns and the remaining layers.
    func predictNetwork(_ network: DenseNetwork, into output: UnsafeMutablePointer<Double>) {
        let (base, priceInputs) = networkInputs(network)
        runNetwork(network, base: base, priceInputs: priceInputs, into: output)
    }

    /// The network's inputs: the first layer's per-row base and every item's standardized price features.
    package func networkInputs(_ network: DenseNetwork) -> (base: [Float], priceInputs: [Float]) {
        let pre = engine.preprocessor
        let priceColumns = engine.layout.priceNumericIndex
        let p = priceColumns.count
        let context = denseContext()
        let base = context.withUnsafeBufferPointer {
            network.firstLayerBase(contextInputs: $0.baseAddress!, count: rows.count, stride: pre.denseWidth, priceColumns: priceColumns)
        }
        var priceInputs = [Float](repeating: 0, count: itemCount * p)
        for (k, price) in prices.enumerated() {
            for r in 0..<rows.count {
                let item = k * rows.count + r
                for q in 0..<p {
                    priceInputs[item * p + q] = pre.standardized(priceFeature(q, row: r, price: price), feature: priceColumns[q])
                }
            }
        }
        return (base, priceInputs)
    }

    /// The network's forward pass over every item from prepared inputs.
    package func runNetwork(_ network: DenseNetwork, base: [Float], priceInputs: [Float], into output: UnsafeMutablePointer<Double>) {
        priceInputs.withUnsafeBufferPointer { x in
            network.predictSweep(base: base, contextCount: rows.count, priceInputs: x.baseAddress!,
                                 priceColumns: engine.layout.priceNumericIndex, count: itemCount, into: output)
        }
    }

    /// Each context row in one input layout (price slots hold placeholders; items overwrite them).
    package func contextInputs(_ layout: InputLayout) -> [Float] {
        let pre = engine.preprocessor
        let width = layout == .dense ? pre.denseWidth : pre.treeWidth
        let n = pre.numericNames.count, c = pre.categoricalNames.count
        var out = [Float](repeating: 0, count: rows.count * width)
        rows.numeric.withUnsafeBufferPointer { numeric in
            rows.codes.withUnsafeBufferPointer { codes in
                out.withUnsafeMutableBufferPointer { buffer in
                    for r in 0..<rows.count {
                        let x = UnsafeBufferPointer(rebasing: numeric[(r * n)..<((r + 1) * n)])
                        let k = UnsafeBufferPointer(rebasing: codes[(r * c)..<((r + 1) * c)])
                        if layout == .dense {
                            pre.dense(numeric: x, codes: k, into: buffer.baseAddress! + r * width)
                        } else {
                            pre.tree(numeric: x, codes: k, into: buffer.baseAddress! + r * width)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Dense layout of each context row.
    package func denseContext() -> [Float] { contextInputs(.dense) }

    /// Full input rows of every item in `layout`: the context row with its price features at the item's price
    /// (standardized for the dense layout, raw with NaN kept for the tree layout).
    package func items(_ layout: InputLayout) -> [Float] {
        let pre = engine.preprocessor
        let width = layout == .dense ? pre.denseWidth : pre.treeWidth
        let context = contextInputs(layout)
        var out = [Float](repeating: 0, count: itemCount * width)
        let priceColumns = engine.layout.priceNumericIndex
        for (k, price) in prices.enumerated() {
            for r in 0..<rows.count {
                let item = (k * rows.count + r) * width
                out.replaceSubrange(item..<(item + width), with: context[(r * width)..<((r + 1) * width)])
                for (q, column) in priceColumns.enumerated() {
                    let v = priceFeature(q, row: r, price: price)
                    out[item + column] = layout == .dense ? pre.standardized(v, feature: column) : (v.isFinite ? Float(v) : .nan)
                }
            }
        }
        return out
    }
}
