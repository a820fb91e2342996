import ArgumentParser

/// The service's executable: `serve` runs the HTTP API, `predict` answers one product from the
/// command line, `bench` measures every stage.
@main
struct PricingServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pricing-server",
        abstract: "Recommends the unit price that maximizes predicted sales (or profit) for a product.",
        subcommands: [Serve.self, Predict.self, Recommend.self, Bench.self, Healthcheck.self]
    )
}

/// Options shared by the commands that load a model version.
struct ModelsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Model version folder, or a models root with a LATEST file.", valueName: "dir"))
    var models: String = defaultModelsPath()
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
