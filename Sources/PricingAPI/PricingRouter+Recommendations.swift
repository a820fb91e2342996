import ArtifactFormats
import HTTPServer
import Pricing

/// The repricing routes:
/// - `GET /v1/recommendations`: every product under the configured rules (overridable in the query),
///   filtered, sorted and paged, as JSON or CSV; computed once per model version and rules and
///   streamed as rows are ready;
/// - `GET /v1/recommendations/{stockcode}`: one product's row;
/// - `POST /v1/recommendations`: the same for a catalogue CSV in the body.
extension PricingRouter {
    func recommendationsRoute(_ request: HTTPRequest) async -> HTTPResponse {
        guard ["GET", "HEAD", "POST"].contains(request.method) else {
            return methods(request, allowed: ["GET", "HEAD", "POST"]) { notReady() }
        }
        guard let engine = slot.engine else { return notReady() }
        let query: RecommendationsQuery
        do {
            query = try RecommendationsQuery.parse(request.queryItems.map { ($0.name, $0.value) }, defaults: pricingRules)
        } catch {
            return error.response
        }
        // Unknown stockcodes are the file's problem too: reported before the first row, so a CSV answer's
        // X-Skipped-Rows counts them.
        var items: [RepricingItem]?
        var fileSkips: [SkippedProduct] = []
        if request.method == "POST" {
            guard !request.body.isEmpty else {
                return APIError.badRequest("invalid_catalogue", "the body must be a catalogue CSV (header: stockcode, current_price, unit_cost, floor, ceiling)").response
            }
            do {
                let resolved = answers.items(of: try Catalogue(bytes: request.body, file: "request body"), on: engine)
                items = resolved.items
                fileSkips = resolved.skipped
            } catch {
                return APIError.badRequest("invalid_catalogue", error.description).response
            }
        }
        // HEAD asks for the headers only: it says whether the run exists but never starts one.
        if request.method == "HEAD" {
            let exists = answers.hasRun(items, rules: query.rules, on: engine)
            return HTTPResponse.stream(headers: HTTPHeaders(recommendationHeaders(modelVersion: engine.version, query: query, fileSkips: fileSkips,
                                                                                  request: request, cacheStatus: exists ? "HIT" : "MISS"))) { _ in }
        }
        let client = ClientWorkBudget.client(ofPeer: request.remoteAddress)
        let admission = answers.run(items, rules: query.rules, on: engine) { products in
            workBudget.spend(Double(products) * Self.repricedProductMilliseconds, client: client)
        }
        switch admission {
        case .refused(let refusal):
            return refused(refusal)
        case .admitted(let ticket, let hit):
            return streamRecommendations(ticket, query: query, fileSkips: fileSkips, request: request, cacheStatus: hit ? "HIT" : "MISS")
        }
    }

    func recommendationRoute(_ stockcode: String, _ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return methods(request, allowed: ["GET", "HEAD"]) { notReady() } }
        guard let engine = slot.engine else { return notReady() }
        let query: RecommendationsQuery
        do {
            query = try RecommendationsQuery.parse(request.queryItems.map { ($0.name, $0.value) }, defaults: pricingRules, single: true)
        } catch {
            return error.response
        }
        var refusal: HTTPResponse?
        let answer = await answers.recommendation(for: stockcode, rules: query.rules, on: engine) { products in
            // One product, or (under a harm budget not yet solved for these rules) the catalogue's pass 1.
            let cost = products > 1 ? Double(products) * Self.repricedProductMilliseconds : Self.uncachedRequestMilliseconds
            refusal = spendWorkBudget(cost, request)
            return refusal == nil
        }
        let row: PriceRecommendation, fromRun: Bool
        switch answer {
        case .row(let found, let run):
            row = found
            fromRun = run
        case .unknownProduct: return APIError(status: 404, code: "unknown_stockcode", message: "unknown stockcode \(stockcode)").response
        case .notPriced(let message): return APIError(status: 422, code: "not_priced", message: message).response
        case .notAdmitted: return refusal ?? notReady()
        }
        let headers: [(String, String)] = [("X-Model-Version", engine.version), ("X-Cache", fromRun ? "HIT" : "MISS"), ("Cache-Control", "no-store")]
        if query.format == .csv || (query.format == nil && request.accepts("text/csv")) {
            return HTTPResponse(status: .ok, headers: HTTPHeaders(headers + [("Content-Type", "text/csv; charset=utf-8")]),
                                body: RecommendationTable.csvHeader() + RecommendationTable.csv([row]))
        }
        var w = JSONWriter()
        RecommendationTable.json(row, into: &w)
        return HTTPResponse(status: .ok, headers: HTTPHeaders(headers + [("Content-Type", "application/json")]), body: w.bytes)
    }

    /// The headers of a recommendations answer.
    func recommendationHeaders(modelVersion: String, query: RecommendationsQuery, fileSkips: [SkippedProduct], request: HTTPRequest,
                               cacheStatus: String) -> [(String, String)] {
        let csv = wantsCSV(query, request)
        var headers: [(String, String)] = [("X-Model-Version", modelVersion), ("X-Cache", cacheStatus), ("Cache-Control", "no-store"),
                                           ("Content-Type", csv ? "text/csv; charset=utf-8" : "application/json")]
        if csv && !fileSkips.isEmpty { headers.append(("X-Skipped-Rows", String(fileSkips.count))) }
        return headers
    }

    func wantsCSV(_ query: RecommendationsQuery, _ request: HTTPRequest) -> Bool {
        query.format == .csv || (query.format == nil && request.accepts("text/csv") && !request.accepts("application/json"))
    }

    /// The run's rows through the query's selection, rendered as they come (``RunTicket/read(_:catalogueSkips:isAbandoned:deliver:)``).
    /// The ticket is held while the answer is written: a client that leaves lets the run stop (when it
    /// was the last reader), checked each time the run delivers a chunk.
    func streamRecommendations(_ ticket: RunTicket, query: RecommendationsQuery, fileSkips: [SkippedProduct], request: HTTPRequest,
                               cacheStatus: String) -> HTTPResponse {
        let run = ticket.run
        let csv = wantsCSV(query, request)
        let headers = recommendationHeaders(modelVersion: run.modelVersion, query: query, fileSkips: fileSkips, request: request,
                                            cacheStatus: cacheStatus)
        return HTTPResponse.stream(headers: HTTPHeaders(headers)) { writer in
            defer { ticket.release() }
            try await writer.write(csv ? RecommendationTable.csvHeader() : RepricingDocument.head(modelVersion: run.modelVersion, rules: run.rules))
            var written = 0
            let end: RunReadingEnd
            do {
                end = try await ticket.read(query.selection, catalogueSkips: fileSkips, isAbandoned: { await writer.isAbandoned() }) { page in
                    try await writer.write(csv ? RecommendationTable.csv(page) : RecommendationTable.jsonObjects(page, leadingComma: written > 0))
                    written += page.count
                }
            } catch is ReaderGone {
                throw HTTPServerError.connectionClosed
            }
            if !csv {
                try await writer.write(RepricingDocument.tail(skipped: end.skipped, totals: end.totals, total: end.matched,
                                                              skippedLimit: RepricingDocument.maximumSkippedListed))
            }
        }
    }
}
