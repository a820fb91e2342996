import ArgumentParser
import ArtifactFormats
import Foundation
import Pricing
import PricingAPI

/// `pricing-server recommend`: a repricing run of every product (or a catalogue file's) under the shop's
/// rules, one row per product, as CSV or JSON; skipped catalogue lines and the run's totals on stderr.
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reprice the whole catalogue under the shop's rules: one row per product, as CSV or JSON.",
        discussion: """
        Rules come from --rules (a JSON file with the rules, or a configuration with a pricing_rules section;
        default config/server.json when it exists), then the flags below. Bad catalogue lines are reported on
        stderr with their line and column and skipped; every good line is priced. Columns: see README.
        """)

    @Option(help: ArgumentHelp("Catalogue CSV: stockcode, and optionally current_price, unit_cost, floor, ceiling (default: every product).",
                               valueName: "file"))
    var catalogue: String?

    @Option(help: ArgumentHelp("JSON file with the pricing rules (or a configuration with pricing_rules).", valueName: "file"))
    var rules: String?

    @Option(help: ArgumentHelp("Write here; .json for JSON, anything else CSV (default: CSV on stdout).", valueName: "file"))
    var out: String?

    @Flag(name: .customLong("only-changes"), help: "Only the products whose price changes.")
    var onlyChanges = false

    @Option(name: .customLong("max-change-pct"), help: ArgumentHelp("Largest change from the current price, in percent, or none.", valueName: "pct"))
    var maxChange: String?

    @Option(name: .customLong("min-margin-pct"), help: ArgumentHelp("Lowest margin over unit cost, in percent, or none.", valueName: "pct"))
    var minMargin: String?

    @Option(name: .customLong("price-ending"), help: ArgumentHelp("Ending of new prices: .99, .95, .x9, … or none.", valueName: "ending"))
    var priceEnding: String?

    @Option(name: .customLong("min-probability-of-gain"), help: ArgumentHelp("P(gain) a change needs, 0…1.", valueName: "p"))
    var minProbability: String?

    @Option(name: .customLong("harm-budget"),
            help: ArgumentHelp("The catalogue's harm budget, 0…1 (the loop uses 0.002), or none: prices chosen together (README).",
                               valueName: "budget"))
    var harmBudget: String?

    @Option(name: .customLong("harm-budget-spread"),
            help: ArgumentHelp("With --harm-budget: the posterior's covariance × this factor, 1…10 (default 1), or none.", valueName: "factor"))
    var harmBudgetSpread: String?

    @OptionGroup var options: ModelsOption

    func resolvedRules() throws -> PricingRules {
        var result = PricingRules()
        do {
            if let rules {
                result = try PricingRules.load(file: rules)
            } else if FileManager.default.fileExists(atPath: "config/server.json") {
                result = try PricingRules.load(file: "config/server.json")
            }
        } catch {
            throw CommandFailure(error.description)
        }
        // The flags override the file's values; a refused value names its flag and the rule.
        for (flag, name, value) in [("--max-change-pct", "max_change_pct", maxChange), ("--min-margin-pct", "min_margin_pct", minMargin),
                                    ("--price-ending", "price_ending", priceEnding),
                                    ("--min-probability-of-gain", "min_probability_of_gain", minProbability),
                                    ("--harm-budget", "harm_budget", harmBudget), ("--harm-budget-spread", "harm_budget_spread", harmBudgetSpread)] {
            guard let value else { continue }
            do throws(RuleError) {
                try result.set(name, text: value)
            } catch {
                throw CommandFailure("\(flag): \(error.description)")
            }
        }
        return result
    }

    func run() throws {
        let rules = try resolvedRules()
        var items: [RepricingItem]?
        var skipped: [SkippedProduct] = []
        let fileName = catalogue ?? ""
        if let catalogue {
            guard let data = FileManager.default.contents(atPath: catalogue) else { throw CommandFailure("\(catalogue): cannot be read") }
            do {
                let parsed = try Catalogue(bytes: [UInt8](data), file: catalogue)
                items = parsed.items
                skipped = parsed.skipped
            } catch {
                throw CommandFailure(error.description)
            }
        }
        let engine: PricingEngine
        do {
            engine = try PricingEngine(path: options.models)
        } catch {
            throw CommandFailure("cannot load models from \(options.models): \(error.description)")
        }
        let total = items?.count ?? engine.store.products.count
        let progress = ProgressBar(total: total, enabled: isatty(2) != 0)
        var run = RepricingChunk()
        let draws = engine.priceResponse.draws
        do throws(RuleError) {
            try engine.reprice(items, rules: rules) { chunk in
                for (i, row) in chunk.rows.enumerated() where !onlyChanges || row.decision == .change {
                    run.rows.append(row)
                    run.gains += chunk.gains[(i * draws)..<((i + 1) * draws)]
                }
                run.skipped += chunk.skipped
                progress.advance(by: chunk.rows.count + chunk.skipped.count)
            }
        } catch {
            throw CommandFailure(error.description)
        }
        progress.finish()
        run.skipped = (skipped + run.skipped).sorted { ($0.line ?? 0) < ($1.line ?? 0) }

        let bytes = out?.hasSuffix(".json") == true
            ? RepricingDocument.bytes(run, modelVersion: engine.version, rules: rules, draws: draws)
            : RecommendationTable.csvHeader() + RecommendationTable.csv(run.rows)
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else { throw CommandFailure("\(out): cannot be written") }
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
        for skip in run.skipped {
            FileHandle.standardError.write(Data("skipped: \(fileName.isEmpty ? "" : fileName + ": ")\(skip)\n".utf8))
        }
        let totals = RepricingTotals(rows: run.rows, gains: run.gains, draws: draws, indices: run.rows.indices)
        let summary = String(format: "%d products, %d price changes, %d skipped; expected gain %.2f per week (10–90%%: %.2f to %.2f); model version %@\n",
                             totals.products, totals.changed, run.skipped.count, totals.expectedGain, totals.gainP10, totals.gainP90,
                             engine.version)
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

/// A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal.
final class ProgressBar {
    let total: Int
    let enabled: Bool
    private var done = 0

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func advance(by n: Int) {
        done += n
        guard enabled, total > 0 else { return }
        let width = 40
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
