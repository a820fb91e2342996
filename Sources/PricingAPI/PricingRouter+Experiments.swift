import HTTPServer
import Pricing
import Storage

/// The experiment routes (docs/experiments.md):
/// - `GET /v1/experiments`: the model version's price-test plan, its tests without their weekly
///   history unless `history=true`, and its held-out products (`holdout.members`); as CSV (one row per
///   test, then one per held-out product) with `format=csv` or `Accept: text/csv`.
///   A version without a plan answers the same document, empty (200, so a client need not tell "no
///   plan" from "no route");
/// - `GET /v1/experiments/{stockcode}`: one test with its history; 404 for a product not in the plan.
extension PricingRouter {
    func experimentsRoute(_ request: HTTPRequest) -> HTTPResponse {
        methods(request, allowed: ["GET", "HEAD"]) {
            withEngine { engine in
                var history = false
                var format: RecommendationsQuery.Format?
                for item in request.queryItems {
                    switch item.name {
                    case "history":
                        guard ["true", "false", "1", "0"].contains(item.value) else {
                            return APIError.badRequest("invalid_history", "history must be true or false, got \"\(item.value)\"").response
                        }
                        history = item.value == "true" || item.value == "1"
                    case "format":
                        guard let f = RecommendationsQuery.Format(rawValue: item.value) else {
                            return APIError.badRequest("invalid_format", "format must be json or csv, got \"\(item.value)\"").response
                        }
                        format = f
                    default:
                        return APIError.badRequest("unknown_parameter", "unknown query parameter \(item.name); allowed: history, format").response
                    }
                }
                let describe = { (code: String) in engine.store.index(of: code).map { engine.store.products[$0].description } }
                let csv = format == .csv || (format == nil && request.accepts("text/csv") && !request.accepts("application/json"))
                if csv {
                    return HTTPResponse(status: .ok, headers: HTTPHeaders(experimentHeaders(engine, type: "text/csv; charset=utf-8")),
                                        body: ExperimentTable.csv(engine.experiments, description: describe))
                }
                return HTTPResponse(status: .ok, headers: HTTPHeaders(experimentHeaders(engine, type: "application/json")),
                                    body: ExperimentTable.json(engine.experiments, history: history, description: describe))
            }
        }
    }

    func experimentRoute(_ stockcode: String, _ request: HTTPRequest) -> HTTPResponse {
        methods(request, allowed: ["GET", "HEAD"]) {
            withEngine { engine in
                if let name = request.queryItems.first?.name {
                    return APIError.badRequest("unknown_parameter", "unknown query parameter \(name); this route takes none").response
                }
                guard let test = engine.experiments?.test(for: stockcode) else {
                    let held = engine.experiments?.holdoutMember(for: stockcode) != nil
                    return APIError(status: 404, code: "not_under_test",
                                    message: held ? "product \(stockcode) is held out of model version \(engine.version)'s tests, not tested "
                                        + "(GET /v1/experiments lists it in holdout.members)"
                                        : "product \(stockcode) is not in the experiment plan of model version \(engine.version)").response
                }
                var w = JSONWriter(capacity: 2048)
                let description = engine.store.index(of: stockcode).map { engine.store.products[$0].description }
                ExperimentTable.test(test, history: true, description: description, into: &w)
                return HTTPResponse(status: .ok, headers: HTTPHeaders(experimentHeaders(engine, type: "application/json")), body: w.bytes)
            }
        }
    }

    /// The plan changes with the model version only, so the answer names it; not cached by clients
    /// across a reload.
    private func experimentHeaders(_ engine: PricingEngine, type: String) -> [(String, String)] {
        [("Content-Type", type), ("X-Model-Version", engine.version), ("Cache-Control", "no-store")]
    }
}
