import ArgumentParser
import Pricing
import Storage

/// `pricing-server predict`: the price curve and recommendation of one product, printed.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sweep candidate prices for one product and print the curve and the recommended price.")

    @Argument(help: "The product's stockcode, e.g. 85123A.")
    var stockcode: String

    @Option(name: .customLong("min"), help: ArgumentHelp("Lowest candidate price (default: lowest historical price).", valueName: "P"))
    var minPrice: Double?

    @Option(name: .customLong("max"), help: ArgumentHelp("Highest candidate price (default: highest historical price).", valueName: "P"))
    var maxPrice: Double?

    @Option(help: ArgumentHelp("Number of candidate prices, 2…1000.", valueName: "N"))
    var bins: Int = SweepRequest.defaultBins

    @Option(name: .customLong("unit-cost"), help: ArgumentHelp("Unit cost: adds profit and recommends the most profitable price.", valueName: "C"))
    var unitCost: Double?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var options: ModelsOption

    var request: SweepRequest {
        SweepRequest(stockcode: stockcode, minPrice: minPrice, maxPrice: maxPrice, bins: bins, unitCost: unitCost)
    }

    func validate() throws {
        do { try request.validate() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let engine: PricingEngine
        do {
            engine = try PricingEngine(path: options.models)
        } catch {
            throw CommandFailure("cannot load models from \(options.models): \(error.description)")
        }
        let curve: PriceCurve
        do {
            curve = try engine.sweep(request)
        } catch {
            throw CommandFailure(error.description)
        }
        print(json ? CurveText.json(curve) : CurveText.table(curve, history: engine.store.product(stockcode)?.price))
    }
}

/// A failure with a message for the user; exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
