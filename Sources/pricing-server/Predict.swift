import ArgumentParser
import ArtifactFormats
import Pricing

/// `pricing-server predict`: one product's curve (units and revenue per week) and price decision, printed.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one product's expected weekly units and revenue at candidate prices, and the price decision.")

    @Argument(help: "The product's stockcode, e.g. 85123A.")
    var stockcode: String

    @Option(name: .customLong("min"), help: ArgumentHelp("Lowest candidate price, of the curve and of the decision's search (default: lowest historical price, or the lowest supported price when lower).", valueName: "P"))
    var minPrice: Double?

    @Option(name: .customLong("max"), help: ArgumentHelp("Highest candidate price, of the curve and of the decision's search (default: highest historical price, or the highest supported price when higher).", valueName: "P"))
    var maxPrice: Double?

    @Option(help: ArgumentHelp("Number of candidate prices of the curve, 2…1000 (the decision does not depend on it).", valueName: "N"))
    var bins: Int = SweepRequest.defaultBins

    @Option(name: .customLong("unit-cost"), help: ArgumentHelp("Unit cost: adds profit per week, and the decision maximizes profit instead of revenue.", valueName: "C"))
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

/// A failure with a message for the user; exits with status 1. Credentials in URLs the message quotes
/// (a MODELS or REDIS_URL setting) are masked: the message goes to a terminal, a log collector or
/// Lambda's init error.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = CredentialRedaction.redactingURLs(in: message) }
}
