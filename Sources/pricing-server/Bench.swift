import ArgumentParser

/// `pricing-server bench`: per-stage timings (filled in below).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure loading, preprocessing, each model and aggregation.")
    @OptionGroup var options: ModelsOption

    func run() throws {
        throw CommandFailure("not yet built")
    }
}
