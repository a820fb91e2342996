import ArgumentParser
import Foundation
import Ledger
import PricingAPI

/// `pricing-server ingest`: adds a file of realized sales (CSV or NDJSON, the training schema) to the
/// ledger in one transaction. Prints the counts on stdout and each rejected line on stderr as
/// `file:line: field: message`; exits non-zero only when nothing could be read.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add realized sales (CSV or NDJSON transaction lines) to the sales ledger.",
        discussion: """
        Columns (CSV header) or fields (NDJSON): InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
        CustomerID, Country. A line already in the ledger (same invoice, stock code and occurrence) is left as it is,
        so a file can be sent again safely. The whole file is one transaction: killed midway, nothing of it is kept.
        Bad lines are reported and skipped; the exit status is non-zero only when no line could be read. See docs/ledger.md.
        """)

    @Option(help: ArgumentHelp("The ledger: a SQLite file or a postgres:// URL (default: the server's: $DATABASE_URL, else database_url "
                               + "of --config, else $LEDGER_PATH, else ledger_path of --config, else data/ledger.sqlite).",
                               valueName: "file.sqlite|postgres://…"))
    var database: String?

    @Option(help: ArgumentHelp("The server's JSON configuration, for its database_url and ledger_path (default: config/server.json if it exists).",
                               valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("csv or ndjson (default: from the file name, else from the first byte: { is NDJSON).", valueName: "format"))
    var format: String?

    @Argument(help: ArgumentHelp("The sales file, or - for standard input.", valueName: "file.csv|file.ndjson|-"))
    var file: String

    func run() throws {
        let location = try database ?? serverLedgerLocation()
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
            } catch {
                throw CommandFailure("\(file): cannot be read (\(error.localizedDescription))")
            }
        }
        let ledger: any SalesLedger
        do {
            ledger = try openSalesLedger(at: location)
        } catch {
            throw CommandFailure(error.description)
        }
        let name = file == "-" ? "stdin" : file
        let start = Date()
        let outcome = data.withUnsafeBytes { raw -> Result<IngestReport, LedgerError> in
            let bytes = raw.bindMemory(to: UInt8.self)
            let chosen = format.flatMap(SalesFormat.init(rawValue:)) ?? SalesFormat(fileName: file) ?? SalesFormat.sniff(bytes)
            do throws(LedgerError) {
                return .success(try ledger.ingest(bytes, format: chosen, source: name, maxErrors: Int.max))
            } catch {
                return .failure(error)
            }
        }
        let report: IngestReport
        switch outcome {
        case .success(let value): report = value
        case .failure(let error): throw CommandFailure("\(name): \(error.description)")
        }
        var errors = ""
        for error in report.errors { errors += "\(name):\(error)\n" }
        FileHandle.standardError.write(Data(errors.utf8))
        let seconds = Date().timeIntervalSince(start)
        print("added \(report.added), already present \(report.duplicates), rejected \(report.rejected) "
              + "(batch \(report.batchID), \(String(format: "%.2f", seconds)) s)")
        if report.added + report.duplicates == 0 && report.rejected > 0 {
            throw CommandFailure("\(name): no line could be read")
        }
    }

    /// The ledger the server writes: its settings, read as `serve` reads them (the file, then the
    /// environment): the PostgreSQL URL when one is set, else the SQLite file.
    func serverLedgerLocation() throws -> String {
        let file = config ?? (FileManager.default.fileExists(atPath: "config/server.json") ? "config/server.json" : nil)
        do {
            return try ServiceConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment).ledgerLocation
        } catch {
            throw CommandFailure("configuration: \(error)")
        }
    }

    func validate() throws {
        if let format, SalesFormat(rawValue: format) == nil {
            throw ValidationError("--format must be csv or ndjson, got \(format)")
        }
    }
}
