import ArgumentParser
import Inference

/// The service's executable: `serve` runs the HTTP API, `predict` answers one product from the
/// command line, `ingest` adds realized sales to the ledger, `bench` measures every stage.
@main
struct PricingServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pricing-server",
        abstract: "Recommends the unit price that maximizes predicted sales (or profit) for a product.",
        subcommands: [Serve.self, Predict.self, Recommend.self, Ingest.self, Bench.self, Healthcheck.self]
    )
}

/// Options shared by the commands that load a model version.
struct ModelsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Model version folder, or a models root with a LATEST file.", valueName: "dir"))
    var models: String = defaultModelsPath()

    /// Refuses, in one line and before anything loads, a `PRICING_KERNEL` this CPU cannot run.
    func validate() throws {
        _ = try DenseKernelVariant.fromEnvironment()
    }
}

/// $MODELS, else ./models.
func defaultModelsPath() -> String {
    if let value = getenv("MODELS") { return String(cString: value) }
    return "models"
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
