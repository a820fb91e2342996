import ArgumentParser
import Dispatch
import Inference
import Pricing
import Storage

/// `pricing-server bench`: per-stage timings of the default request, and of the reference workload
/// (1,200 context rows × 100 prices through a 256-128-64-32 network with batch norm).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure loading, preprocessing, each model's forward pass and aggregation (use a release build).")

    @OptionGroup var options: ModelsOption

    @Option(help: ArgumentHelp("Version folder with the reference network (python -m pricing_training reference-network).", valueName: "dir"))
    var reference: String?

    @Option(help: "Product of the default request.")
    var stockcode = "85123A"

    @Option(help: "Timed repetitions per stage (the median is reported).")
    var repeats = 9

    @Option(help: ArgumentHelp("Also write the numbers as JSON here.", valueName: "file"))
    var json: String?

    func run() throws {
        var report = BenchReport()
        let load = Stopwatch.median(repeats: max(3, repeats / 2)) { _ = try! PricingEngine(path: options.models) }
        report.add("load default artifact set", seconds: load)
        let engine = try PricingEngine(path: options.models)
        try measureRequest(engine, into: &report, prefix: "default request")
        if let reference {
            try measureReference(PricingEngine(path: reference), into: &report)
        }
        print(report.table())
        if let json { try report.writeJSON(to: json) }
    }

    /// Every stage of one sweep of `stockcode` with the default 100 prices.
    func measureRequest(_ engine: PricingEngine, into report: inout BenchReport, prefix: String) throws {
        guard let product = engine.store.product(stockcode), let rows = try engine.contextRows(for: stockcode) else {
            throw CommandFailure("unknown stockcode \(stockcode)")
        }
        let prices = linspace(product.price.min, product.price.max, SweepRequest.defaultBins)
        let sweep = PriceSweep(engine: engine, rows: rows, prices: prices)
        report.note("\(prefix): \(stockcode), \(rows.count) context rows × \(prices.count) prices = \(sweep.itemCount) rows")
        report.add("\(prefix): context rows (feature store, cached)", seconds: Stopwatch.median(repeats: repeats) {
            _ = try! engine.contextRows(for: stockcode)
        })
        for model in engine.chain.models {
            if let network = model as? DenseNetwork {
                report.add("\(prefix): features + preprocessing (mlp)", seconds: Stopwatch.median(repeats: repeats) {
                    _ = sweep.networkInputs(network)
                })
                let (base, priceInputs) = sweep.networkInputs(network)
                var out = [Double](repeating: 0, count: sweep.itemCount)
                report.add("\(prefix): forward mlp", seconds: Stopwatch.median(repeats: repeats) {
                    out.withUnsafeMutableBufferPointer { sweep.runNetwork(network, base: base, priceInputs: priceInputs, into: $0.baseAddress!) }
                })
            } else {
                let inputs = sweep.items(model.layout)
                report.add("\(prefix): features + preprocessing (\(model.layout.rawValue) layout)", seconds: Stopwatch.median(repeats: repeats) {
                    _ = sweep.items(model.layout)
                })
                var out = [Double](repeating: 0, count: sweep.itemCount)
                report.add("\(prefix): forward \(model.name)", seconds: Stopwatch.median(repeats: model.name == "svr" ? 3 : repeats) {
                    inputs.withUnsafeBufferPointer { x in
                        out.withUnsafeMutableBufferPointer { model.predict(inputs: x.baseAddress!, count: sweep.itemCount, stride: model.inputWidth, into: $0.baseAddress!) }
                    }
                })
            }
        }
        let values = sweep.logQuantities(engine.chain.models[0])
        report.add("\(prefix): aggregation", seconds: Stopwatch.median(repeats: repeats) {
            _ = aggregate(values, prices: prices, contextCount: rows.count, unitCost: nil)
        })
        report.add("\(prefix): whole sweep (primary model)", seconds: Stopwatch.median(repeats: repeats) {
            _ = try! engine.sweep(SweepRequest(stockcode: stockcode))
        })
    }

    /// The reference workload: the shortcut sweep end to end, the network's plain forward pass on all
    /// 120,000 rows, and the dense kernel alone on each layer's shape.
    func measureReference(_ engine: PricingEngine, into report: inout BenchReport) throws {
        guard let network = engine.chain.models.first as? DenseNetwork, let product = engine.store.product(stockcode) else {
            throw CommandFailure("the reference folder has no network or no \(stockcode)")
        }
        let ranked = engine.store.products.sorted { ($0.lines, $1.stockcode) > ($1.lines, $0.stockcode) }
        var parts: [ContextRows] = []
        var total = 0
        for p in ranked where total < 1200 {
            let rows = try engine.contextRows(for: p.stockcode)!
            parts.append(rows)
            total += rows.count
        }
        let rows = ContextRows.concatenating(parts, limit: 1200)
        let prices = linspace(product.price.min, product.price.max, 100)
        let sweep = PriceSweep(engine: engine, rows: rows, prices: prices)
        let widths = [network.inputWidth] + network.layers.map(\.outputs)
        let fullFlops = zip(widths, widths.dropFirst()).reduce(0.0) { $0 + 2.0 * Double(sweep.itemCount * $1.0 * $1.1) }
        let p = engine.layout.priceNumericIndex.count
        let shortcutFlops = fullFlops - 2.0 * Double(sweep.itemCount * (widths[0] - p) * widths[1])
            + 2.0 * Double(rows.count * widths[0] * widths[1])
        report.note("reference: \(rows.count) context rows × \(prices.count) prices = \(sweep.itemCount) rows, network \(widths.map(String.init).joined(separator: "-"))")
        report.note(String(format: "reference: full forward pass %.2f GFLOP; with the first-layer price shortcut %.2f GFLOP", fullFlops / 1e9, shortcutFlops / 1e9))
        report.add("reference: whole sweep (features, forward, aggregation)", seconds: Stopwatch.median(repeats: repeats) {
            let values = sweep.logQuantities(network)
            _ = aggregate(values, prices: prices, contextCount: rows.count, unitCost: nil)
        }, flops: shortcutFlops)
        let (base, priceInputs) = sweep.networkInputs(network)
        var out = [Double](repeating: 0, count: sweep.itemCount)
        report.add("reference: forward with the price shortcut", seconds: Stopwatch.median(repeats: repeats) {
            out.withUnsafeMutableBufferPointer { sweep.runNetwork(network, base: base, priceInputs: priceInputs, into: $0.baseAddress!) }
        }, flops: shortcutFlops)
        let dense = sweep.items(.dense)
        report.add("reference: plain forward pass (all layers, as PyTorch)", seconds: Stopwatch.median(repeats: repeats) {
            dense.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { network.predict(inputs: x.baseAddress!, count: sweep.itemCount, stride: network.inputWidth, into: $0.baseAddress!) }
            }
        }, flops: fullFlops)
        for layer in network.layers {
            let n = sweep.itemCount
            var input = [Float](repeating: 0.5, count: n * layer.inputs)
            for i in stride(from: 0, to: input.count, by: 7) { input[i] = -0.25 }
            var output = [Float](repeating: 0, count: n * layer.paddedOutputs)
            let flops = 2.0 * Double(n * layer.inputs * layer.outputs)
            report.add("kernel: \(n)x\(layer.inputs) · \(layer.inputs)x\(layer.outputs)", seconds: Stopwatch.median(repeats: repeats) {
                input.withUnsafeBufferPointer { x in
                    output.withUnsafeMutableBufferPointer { y in
                        denseForwardParallel(layer, input: x.baseAddress!, rows: n, output: y.baseAddress!)
                    }
                }
            }, flops: flops)
        }
    }
}

/// Median wall-clock time of a block.
enum Stopwatch {
    static func median(repeats: Int, _ body: () -> Void) -> Double {
        body()  // warm up caches, lazy shards and the thread pool
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }
}
