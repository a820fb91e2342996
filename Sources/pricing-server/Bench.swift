import ArgumentParser
import ArtifactFormats
import Dispatch
import Inference
import Pricing

/// `pricing-server bench`: per-stage timings of the default request (the baseline forward pass over
/// the product's context rows, the curve, the decision), and of the reference workload (1,200 context
/// rows × 100 prices through a 256-128-64-32 network with batch norm, as PyTorch runs it).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure loading, preprocessing, each model's forward pass, the curve and the decision (use a release build).")

    @OptionGroup var options: ModelsOption

    @Option(help: ArgumentHelp("Version folder with the reference network (python -m pricing_training reference-network).", valueName: "dir"))
    var reference: String?

    @Option(help: "Product of the default request.")
    var stockcode = "85123A"

    @Option(help: "Timed repetitions per stage (the median is reported).")
    var repeats = 9

    @Option(help: ArgumentHelp("Also write the numbers as JSON here.", valueName: "file"))
    var json: String?

    @Flag(name: .customLong("repricing-only"), help: "Only the repricing benchmark (whole catalogue, first row over loopback).")
    var repricingOnly = false

    @Flag(name: .customLong("default-request-only"),
          help: "Only loading and the default request (make bench compares two release builds with it).")
    var defaultRequestOnly = false

    @Flag(name: .customLong("kernels-only"),
          help: "Only the dense kernel on each layer shape of the --reference network, for every variant this CPU runs.")
    var kernelsOnly = false

    @Flag(name: .customLong("no-huge-pages"),
          help: "Kernel rows on 4 KB pages (by default their buffers get transparent huge pages, as NumPy's arrays do).")
    var noHugePages = false

    func run() throws {
        var report = BenchReport()
        if repricingOnly {
            try measureRepricing(try PricingEngine(path: options.models), into: &report)
            print(report.table())
            if let json { try report.writeJSON(to: json) }
            return
        }
        report.note("dense kernel variant: \(DenseKernelVariant.selected) (this CPU runs: "
                    + DenseKernelVariant.supported.map(\.rawValue).joined(separator: ", ")
                    + "; \(DenseKernelVariant.environmentKey) overrides)")
        report.note("CPU vector features: " + CPUVectorFeatures.names.joined(separator: " "))
        if kernelsOnly {
            // The layer-shape rows alone (seconds, not minutes), to compare with NumPy's sgemm run for
            // run on a shared machine; the same measurement as the full bench's kernel rows.
            guard let reference else { throw CommandFailure("--kernels-only needs --reference") }
            let network = try PricingEngine(path: reference).chain.models.first as? DenseNetwork
            guard let network else { throw CommandFailure("the reference folder has no network") }
            // The reference workload's rows, as NumPy's side uses them.
            measureAllKernels(network.layers, rows: Self.referenceContextRows * Self.referencePrices, into: &report)
            print(report.table())
            if let json { try report.writeJSON(to: json) }
            return
        }
        let load = Stopwatch.median(repeats: max(3, repeats / 2)) { _ = try! PricingEngine(path: options.models) }
        report.add("load default artifact set", seconds: load)
        let engine = try PricingEngine(path: options.models)
        try measureRequest(engine, into: &report, prefix: "default request")
        if !defaultRequestOnly {
            try measureRepricing(engine, into: &report)
        }
        if let reference, !defaultRequestOnly {
            let referenceEngine = try PricingEngine(path: reference)
            try measureRequest(referenceEngine, into: &report, prefix: "reference network request", perModel: false)
            try measureReference(referenceEngine, into: &report)
        }
        print(report.table())
        if let json { try report.writeJSON(to: json) }
    }

    /// Every stage of the default request for `stockcode` (100 prices, no unit cost), and the whole
    /// request next to the plain forward pass of the primary network over the same context rows,
    /// measured in the same run, with their ratio.
    func measureRequest(_ engine: PricingEngine, into report: inout BenchReport, prefix: String, perModel: Bool = true) throws {
        guard let index = engine.store.index(of: stockcode), let response = engine.priceResponse.product(index),
              let rows = try engine.contextRows(for: stockcode) else {
            throw CommandFailure("unknown stockcode \(stockcode)")
        }
        let product = engine.store.products[index]
        let range = engine.defaultPriceRange(product, response)
        let prices = linspace(range.min, range.max, SweepRequest.defaultBins)
        let settings = engine.manifest.priceResponse.decision
        let draws = response.drawCount
        report.note("\(prefix): \(stockcode), \(rows.count) context rows; curve \(prices.count) prices × \(draws) draws; "
                    + "decision \(settings.gridPoints) grid prices × \(draws) draws")
        if perModel {
            report.add("\(prefix): context rows (feature store, cached)", seconds: Stopwatch.perCall(repeats: repeats) {
                _ = try! engine.contextRows(for: stockcode)
            })
            for model in engine.chain.models {
                report.add("\(prefix): preprocessing (\(model.layout.rawValue) layout)", seconds: Stopwatch.perCall(repeats: repeats) {
                    _ = engine.modelInputs(rows, layout: model.layout)
                })
                let inputs = engine.modelInputs(rows, layout: model.layout)
                var out = [Double](repeating: 0, count: rows.count)
                report.add("\(prefix): forward \(model.name) (\(rows.count) rows)", seconds: Stopwatch.perCall(repeats: repeats) {
                    runForward(model, inputs, rows: rows.count, into: &out)
                })
            }
        }
        let baselines = engine.baseline(rows, model: engine.chain.models[0])
        let (_, baseline) = ResponseCurve.points(response, baselines: baselines, prices: prices, unitCost: nil)
        report.add("\(prefix): curve (\(prices.count) prices × \(draws) draws)", seconds: Stopwatch.perCall(repeats: repeats) {
            _ = ResponseCurve.points(response, baselines: baselines, prices: prices, unitCost: nil)
        })
        report.add("\(prefix): decision (\(settings.gridPoints) grid prices × \(draws) draws)", seconds: Stopwatch.perCall(repeats: repeats) {
            _ = PriceDecision.decide(response, baseline: baseline,
                                     .oneProduct(response, requestMin: range.min, requestMax: range.max, unitCost: nil), settings: settings)
        })
        guard let network = engine.chain.models.first as? DenseNetwork else { return }
        // The pair to compare, measured alternately so that both see the same machine state.
        let dense = engine.modelInputs(rows, layout: .dense)
        var out = [Double](repeating: 0, count: rows.count)
        let request = SweepRequest(stockcode: stockcode)
        let sweepName = "\(prefix): whole sweep (baseline forward pass over the context rows + curve + decision)"
        let forwardName = "\(prefix): plain forward pass of the same network over the same \(rows.count) rows"
        var sweepTimes: [Double] = [], forwardTimes: [Double] = []
        for _ in 0..<max(3, repeats) {
            sweepTimes.append(Stopwatch.perCall(repeats: 1) { _ = try! engine.sweep(request) })
            forwardTimes.append(Stopwatch.perCall(repeats: 1) { runForward(network, dense, rows: rows.count, into: &out) })
        }
        let sweep = Stopwatch.medianOf(sweepTimes), forward = Stopwatch.medianOf(forwardTimes)
        report.add(sweepName, seconds: sweep)
        report.add(forwardName, seconds: forward)
        report.note("\(prefix): whole sweep / plain forward pass = " + String(format: "%.1f× (%.1f µs vs %.1f µs)", sweep / forward, sweep * 1e6, forward * 1e6))
        // The rows a network that read the price would have to evaluate for this request: every context row at
        // every candidate price (the previous model's sweep). The price response replaces that work with
        // exponentials of two coefficients per draw.
        let bins = request.bins
        let repeated = repeating(dense, times: bins)
        var sweepOut = [Double](repeating: 0, count: rows.count * bins)
        let itemForward = Stopwatch.perCall(repeats: repeats) { runForward(network, repeated, rows: rows.count * bins, into: &sweepOut) }
        report.add("\(prefix): plain forward pass over the sweep's rows (\(rows.count) rows × \(bins) prices)", seconds: itemForward)
        report.note("\(prefix): whole sweep / forward pass over the sweep's \(rows.count * bins) rows = "
                    + String(format: "%.2f× (%.1f µs vs %.1f µs)", sweep / itemForward, sweep * 1e6, itemForward * 1e6))
    }

    /// The reference workload's size, the same as training/pricing_training/reference_bench.py's.
    static let referenceContextRows = 1200
    static let referencePrices = 100

    /// The reference workload: the service's whole sweep of it, the network's plain forward pass on
    /// 1,200 context rows × 100 prices (120,000 rows; no model reads the price, so each price repeats
    /// the context rows, as PyTorch's side builds them), and the dense kernel alone on each layer's shape.
    func measureReference(_ engine: PricingEngine, into report: inout BenchReport) throws {
        guard let network = engine.chain.models.first as? DenseNetwork else {
            throw CommandFailure("the reference folder has no network")
        }
        let ranked = engine.store.products.sorted { ($0.lines, $1.stockcode) > ($1.lines, $0.stockcode) }
        var parts: [ContextMatrix] = []
        var total = 0
        for p in ranked where total < Self.referenceContextRows {
            guard let rows = try engine.contextRows(for: p.stockcode) else { continue }
            parts.append(rows)
            total += rows.count
        }
        let rows = ContextMatrix.concatenating(parts, limit: Self.referenceContextRows)
        let prices = Self.referencePrices
        let dense = repeating(engine.modelInputs(rows, layout: .dense), times: prices)
        let items = rows.count * prices
        let widths = [network.inputWidth] + network.layers.map(\.outputs)
        let fullFlops = zip(widths, widths.dropFirst()).reduce(0.0) { $0 + 2.0 * Double(items * $1.0 * $1.1) }
        report.note("reference: \(rows.count) context rows × \(prices) prices = \(items) rows, network \(widths.map(String.init).joined(separator: "-"))")
        report.note(String(format: "reference: full forward pass %.2f GFLOP", fullFlops / 1e9))
        // The service's own work for this workload: no model reads the price, so the baseline is one
        // forward pass over the 1,200 context rows (not 120,000), then the curve at the 100 prices and
        // the decision. (Stage name kept for training/scripts/bench_report.py.)
        guard let index = engine.store.index(of: stockcode), let response = engine.priceResponse.product(index) else {
            throw CommandFailure("the reference folder has no \(stockcode)")
        }
        let product = engine.store.products[index]
        let grid = linspace(product.price.min, product.price.max, prices)
        let settings = engine.manifest.priceResponse.decision
        report.note("reference: whole sweep = preprocessing + forward pass over the \(rows.count) context rows (the baseline does not "
                    + "depend on the price) + curve at \(prices) prices + decision, for \(stockcode)'s price response")
        report.add("reference: whole sweep (features, forward, aggregation)", seconds: Stopwatch.median(repeats: repeats) {
            let baselines = engine.baseline(rows, model: network)
            let (_, baseline) = ResponseCurve.points(response, baselines: baselines, prices: grid, unitCost: nil)
            _ = PriceDecision.decide(response, baseline: baseline,
                                     .oneProduct(response, requestMin: grid[0], requestMax: grid[prices - 1], unitCost: nil), settings: settings)
        })
        var out = [Double](repeating: 0, count: items)
        report.add("reference: plain forward pass (all layers, as PyTorch)", seconds: Stopwatch.median(repeats: repeats) {
            runForward(network, dense, rows: items, into: &out)
        }, flops: fullFlops)
        measureAllKernels(network.layers, rows: items, into: &report) { variant, repeats, report in
            report.add("variant \(variant): reference: plain forward pass", seconds: Stopwatch.median(repeats: repeats) {
                runForward(network.using(variant), dense, rows: items, into: &out)
            }, flops: fullFlops)
        }
    }

    /// The kernel rows of every variant this CPU runs. The selected variant's rows keep their names
    /// (training/scripts/bench_report.py compares them with NumPy); every other variant is measured
    /// after it in the same run, with fewer repeats, after `beforeVariant` (the full bench's forward pass).
    func measureAllKernels(_ layers: [DenseLayer], rows: Int, into report: inout BenchReport,
                           beforeVariant: (DenseKernelVariant, Int, inout BenchReport) -> Void = { _, _, _ in }) {
        let others = DenseKernelVariant.supported.reversed().filter { $0 != DenseKernelVariant.selected }
        report.note(noHugePages ? "kernel rows: buffers on 4 KB pages (--no-huge-pages)"
                    : "kernel rows: buffers on transparent huge pages, allocated as NumPy allocates its arrays")
        measureKernels(layers, rows: rows, variant: DenseKernelVariant.selected, repeats: repeats, prefix: "", into: &report)
        for variant in others {
            let timesOfVariant = max(3, repeats / 3)
            beforeVariant(variant, timesOfVariant, &report)
            measureKernels(layers, rows: rows, variant: variant, repeats: timesOfVariant, prefix: "variant \(variant): ",
                           into: &report)
        }
    }

    /// The dense kernel alone (`variant`) on each layer's shape over `rows` rows, split across cores,
    /// reading and writing buffers allocated as NumPy allocates its operands (see `withNumPyLikeAllocation`).
    func measureKernels(_ layers: [DenseLayer], rows n: Int, variant: DenseKernelVariant, repeats: Int, prefix: String,
                        into report: inout BenchReport) {
        for layer in layers {
            let flops = 2.0 * Double(n * layer.inputs * layer.outputs)
            withNumPyLikeAllocation(count: n * layer.inputs, hugePages: !noHugePages) { input in
                withNumPyLikeAllocation(count: n * layer.paddedOutputs, hugePages: !noHugePages) { output in
                    input.initialize(repeating: 0.5)
                    for i in stride(from: 0, to: input.count, by: 7) { input[i] = -0.25 }
                    output.initialize(repeating: 0)
                    report.add("\(prefix)kernel: \(n)x\(layer.inputs) · \(layer.inputs)x\(layer.outputs)",
                               seconds: Stopwatch.median(repeats: repeats) {
                        denseForwardParallel(layer, variant: variant, input: UnsafePointer(input.baseAddress!), rows: n,
                                             output: output.baseAddress!)
                    }, flops: flops)
                }
            }
        }
    }
}

/// `model`'s forward pass over the first `rows` rows of `inputs` (in its input layout) into `out`.
func runForward(_ model: any DemandModel, _ inputs: [Float], rows: Int, into out: inout [Double]) {
    inputs.withUnsafeBufferPointer { x in
        out.withUnsafeMutableBufferPointer { model.predict(inputs: x.baseAddress!, count: rows, stride: model.inputWidth, into: $0.baseAddress!) }
    }
}

/// `rows` repeated `times` times: one copy of a product's context rows per candidate price, the batch a
/// network that read the price would run.
func repeating(_ rows: [Float], times: Int) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(rows.count * times)
    for _ in 0..<times { out += rows }
    return out
}

/// Wall-clock timing of a block.
enum Stopwatch {
    /// The median of `repeats` runs, after one warm-up run.
    static func median(repeats: Int, _ body: () -> Void) -> Double {
        body()  // warm up caches, lazy shards and the thread pool
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return medianOf(times)
    }

    /// Seconds per call of a fast block: each of `repeats` samples runs it enough times to last about
    /// 2 ms (so the clock's resolution does not matter); the median sample is divided by that count.
    static func perCall(repeats: Int, _ body: () -> Void) -> Double {
        body()
        var calls = 1
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { body() }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            if elapsed >= 2_000_000 || calls >= 1 << 20 { break }
            calls *= 2
        }
        let times = (0..<max(1, repeats)).map { _ -> Double in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { body() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(calls)
        }
        return medianOf(times)
    }

    static func medianOf(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
