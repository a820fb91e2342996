import Dispatch
import Foundation
import Synchronization
import HTTPServer
public import Ledger

/// `POST /v1/sales`: realized sales into the ledger, behind the admin token. The body is CSV with a
/// header (`text/csv`) or NDJSON (`application/x-ndjson`) in the training schema; the whole body is
/// one transaction and a line already in the ledger is left as it is, so a client that is not sure
/// its last request went through sends it again.
///
/// Answers `{"batch_id", "added", "duplicates", "rejected", "errors": [{"line", "field", "message"}]}`
/// (the first ``salesErrorLimit`` rejected lines) with 200, also when every line was rejected (the
/// counts say so). 400 when the body is not a sales file at all (empty, no header, an unknown column),
/// 415 for another content type, 503 when the ledger cannot be written.
extension PricingRouter {
    /// Rejected lines an answer lists (it counts them all).
    static let salesErrorLimit = 100

    func sales(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == "POST" else {
            return methods(request, allowed: ["POST"]) { HTTPResponse(status: .ok) }
        }
        if let refusal = adminRefusal(request, route: "POST /v1/sales") { return refusal }
        guard let slot = ledger else {
            return APIError(status: 503, code: "ledger_unavailable", message: "no sales ledger is configured (ledger_path, LEDGER_PATH, DATABASE_URL)").response
        }
        let type = (request.headers["Content-Type"] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let format: SalesFormat
        switch type {
        case "text/csv": format = .csv
        case "application/x-ndjson": format = .ndjson
        default:
            return APIError(status: 415, code: "unsupported_media_type",
                            message: "Content-Type must be text/csv or application/x-ndjson, got \(type.isEmpty ? "none" : type)").response
        }
        let body = request.body
        // SQLite and libpq block (on fsync at commit, on the PostgreSQL server): off the cooperative pool, so
        // other requests keep their threads.
        let outcome: Result<IngestReport, LedgerError> = await withCheckedContinuation { done in
            DispatchQueue.global().async {
                let result = body.withUnsafeBufferPointer { bytes -> Result<IngestReport, LedgerError> in
                    do throws(LedgerError) {
                        return .success(try slot.ledger().ingest(bytes, format: format, source: "POST /v1/sales", maxErrors: Self.salesErrorLimit))
                    } catch {
                        return .failure(error)
                    }
                }
                done.resume(returning: result)
            }
        }
        switch outcome {
        case .success(let report):
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")]),
                                body: Self.salesJSON(report))
        case .failure(.unreadable(let why)):
            return APIError.badRequest("unreadable_sales", "the body is not a sales file: \(why)").response
        case .failure(.unavailable(let why)):
            return APIError(status: 503, code: "ledger_unavailable", message: "the sales ledger cannot be opened: \(why)").response
        case .failure(let error):
            return APIError(status: 503, code: "ledger_unavailable", message: "the sales ledger failed: \(error.description)").response
        }
    }

    static func salesJSON(_ report: IngestReport) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{"); w.key("batch_id"); w.number(Int(report.batchID))
        w.raw(","); w.key("added"); w.number(report.added)
        w.raw(","); w.key("duplicates"); w.number(report.duplicates)
        w.raw(","); w.key("rejected"); w.number(report.rejected)
        w.raw(","); w.key("errors"); w.raw("[")
        for (index, error) in report.errors.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{"); w.key("line"); w.number(error.line)
            w.raw(","); w.key("field"); if let field = error.field { w.string(field) } else { w.raw("null") }
            w.raw(","); w.key("message"); w.string(error.message); w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }
}

/// The ledger `POST /v1/sales` writes to, opened at the first request that needs it: a service whose
/// admin routes are never used creates no file and opens no database connection, and after a failure
/// (a folder not writable, a PostgreSQL server down) the next request tries again, so fixing it needs
/// no restart.
public final class LedgerSlot: Sendable {
    /// Where the ledger is (for messages): a file path, or a PostgreSQL URL with its password hidden.
    public let path: String
    /// The file path or `postgres://` URL the ledger is opened from.
    private let location: String
    private let opened = Mutex<(any SalesLedger)?>(nil)

    /// The ledger at `location`, opened when first needed: PostgreSQL for a `postgres://` or
    /// `postgresql://` URL, else the SQLite file at that path.
    public init(location: String) {
        self.location = location
        path = DatabaseURL.redacted(location)
    }

    /// The SQLite ledger at `path` (or a PostgreSQL URL, as ``init(location:)``), opened when first needed.
    public convenience init(path: String) {
        self.init(location: path)
    }

    /// A ledger already open.
    public init(_ ledger: any SalesLedger, path: String) {
        location = path
        self.path = DatabaseURL.redacted(path)
        opened.withLock { $0 = ledger }
    }

    /// The ledger, opening it when it is not yet.
    public func ledger() throws(LedgerError) -> any SalesLedger {
        try opened.withLock { slot throws(LedgerError) -> any SalesLedger in
            if let ledger = slot { return ledger }
            let ledger = try openSalesLedger(at: location)
            slot = ledger
            return ledger
        }
    }
}
