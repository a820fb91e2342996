import HTTPServer
import Dispatch
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
        var catalogue: Catalogue?
        if request.method == "POST" {
            guard !request.body.isEmpty else {
                return APIError.badRequest("invalid_catalogue", "the body must be a catalogue CSV (header: stockcode, current_price, unit_cost, floor, ceiling)").response
            }
            do {
                catalogue = try Catalogue(bytes: request.body, file: "request body")
            } catch {
                return APIError.badRequest("invalid_catalogue", error.description).response
            }
        }
        // Unknown stockcodes are the file's problem too: reported before the first row, so a CSV answer's
        // X-Skipped-Rows counts them.
        var items: [RepricingItem]?
        var fileSkips: [SkippedProduct] = []
        if let catalogue {
            items = catalogue.items.filter { engine.store.index(of: $0.stockcode) != nil }
            fileSkips = catalogue.skipped + catalogue.items.filter { engine.store.index(of: $0.stockcode) == nil }.map {
                SkippedProduct(stockcode: $0.stockcode, line: $0.line, column: "stockcode", message: "unknown stockcode \($0.stockcode)")
            }
        }
        // HEAD asks for the headers only: it says whether the run exists but never starts one.
        if request.method == "HEAD" {
            let existing = runs.existing(engine: engine, rules: query.rules, items: items)
            return HTTPResponse.stream(headers: HTTPHeaders(recommendationHeaders(modelVersion: engine.version, query: query, fileSkips: fileSkips,
                                                                                  request: request, cacheStatus: existing == nil ? "MISS" : "HIT"))) { _ in }
        }
        let cost = Double(items?.count ?? engine.store.products.count) * Self.repricedProductMilliseconds
        let client = ClientWorkBudget.client(ofPeer: request.remoteAddress)
        switch runs.run(engine: engine, items: items, rules: query.rules, spend: { workBudget.spend(cost, client: client) }) {
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
        guard engine.store.index(of: stockcode) != nil else {
            return APIError(status: 404, code: "unknown_stockcode", message: "unknown stockcode \(stockcode)").response
        }
        // From the whole run when it is already computed; otherwise this product alone (a few hundred µs),
        // never a wait for the whole catalogue.
        let row: PriceRecommendation?
        let skipped: [SkippedProduct]
        let cacheStatus: String
        if let snap = runs.existing(engine: engine, rules: query.rules)?.snapshot(), snap.finished {
            row = snap.rows.first { $0.stockcode == stockcode }
            skipped = snap.skipped.filter { $0.stockcode == stockcode }
            cacheStatus = "HIT"
        } else {
            if let refusal = spendWorkBudget(Self.uncachedRequestMilliseconds, request) { return refusal }
            let one: RepricingChunk? = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(returning: try? engine.reprice([RepricingItem(stockcode: stockcode)], rules: query.rules))
                }
            }
            row = one?.rows.first
            skipped = one?.skipped ?? []
            cacheStatus = "MISS"
        }
        guard let row else {
            let message = skipped.first?.message ?? "no recommendation for \(stockcode)"
            return APIError(status: 422, code: "not_priced", message: message).response
        }
        let headers: [(String, String)] = [("X-Model-Version", engine.version), ("X-Cache", cacheStatus), ("Cache-Control", "no-store")]
        if query.format == .csv || (query.format == nil && accepts(request, "text/csv")) {
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
        query.format == .csv || (query.format == nil && accepts(request, "text/csv") && !accepts(request, "application/json"))
    }

    /// The run's rows through the query's filters, order and page. In stockcode order over every product
    /// the rows go out as the run produces them; any other order needs the whole run first. The ticket
    /// is held while the answer is written: a client that leaves lets the run stop (when it was the
    /// last reader), checked each time the run delivers a chunk.
    func streamRecommendations(_ ticket: RunTicket, query: RecommendationsQuery, fileSkips: [SkippedProduct], request: HTTPRequest,
                               cacheStatus: String) -> HTTPResponse {
        let run = ticket.run
        let csv = wantsCSV(query, request)
        let headers = recommendationHeaders(modelVersion: run.modelVersion, query: query, fileSkips: fileSkips, request: request,
                                            cacheStatus: cacheStatus)
        return HTTPResponse.stream(headers: HTTPHeaders(headers)) { writer in
            defer { ticket.release() }
            try await writer.write(csv ? RecommendationTable.csvHeader() : RepricingDocument.head(modelVersion: run.modelVersion, rules: run.rules))
            var matched: [Int] = []
            var written = 0
            var snap: RepricingRun.Snapshot
            /// Writes `indices` (already filtered and ordered) that fall in the page.
            func emit(_ rows: [PriceRecommendation], _ indices: ArraySlice<Int>, skipBefore: Int) async throws {
                let start = max(0, query.offset - skipBefore)
                let end = min(indices.count, query.offset + query.limit - skipBefore)
                guard start < end else { return }
                let page = indices.dropFirst(start).prefix(end - start).map { rows[$0] }
                let bytes = csv ? RecommendationTable.csv(page) : RecommendationTable.jsonObjects(page, leadingComma: written > 0)
                written += page.count
                try await writer.write(bytes)
            }
            /// Waits for the run to pass `seen` rows; throws when the client has gone, so the run can stop.
            func next(beyond seen: Int) async throws -> RepricingRun.Snapshot {
                await run.wait(beyond: seen)
                if await writer.isAbandoned() { throw HTTPServerError.connectionClosed }
                let snap = run.snapshot()
                // Only a run without readers is cancelled, and this request is one; so this is a guard.
                if !snap.finished && snap.rows.count <= seen && run.isCancelled { throw HTTPServerError.connectionClosed }
                return snap
            }
            if query.sort == .stockcode && run.inStockcodeOrder {
                var seen = 0
                repeat {
                    snap = try await next(beyond: seen)
                    let before = matched.count
                    for i in seen..<snap.rows.count where query.matches(snap.rows[i]) { matched.append(i) }
                    try await emit(snap.rows, matched[before...], skipBefore: before)
                    seen = snap.rows.count
                } while !snap.finished || seen < snap.rows.count
            } else {
                snap = run.snapshot()
                while !snap.finished { snap = try await next(beyond: snap.rows.count) }
                let rows = snap.rows
                matched = rows.indices.filter { query.matches(rows[$0]) }
                matched.sort { query.precedes(rows[$0], rows[$1]) }
                var from = 0
                while from < matched.count {
                    let to = min(matched.count, from + 512)
                    try await emit(rows, matched[from..<to], skipBefore: from)
                    from = to
                }
            }
            if !csv {
                let totals = RepricingTotals(rows: snap.rows, gains: snap.gains, draws: run.draws, indices: matched)
                let skipped = (fileSkips + snap.skipped).sorted { ($0.line ?? 0) < ($1.line ?? 0) }
                try await writer.write(RepricingDocument.tail(skipped: skipped, totals: totals, total: matched.count,
                                                              skippedLimit: RepricingDocument.maximumSkippedListed))
            }
        }
    }
}

extension RepricingRuns {
    /// The run for these rules over `items` (nil: every product), if one was started (no new run is started).
    func existing(engine: PricingEngine, rules: PricingRules, items: [RepricingItem]? = nil) -> RepricingRun? {
        lookup(Self.key(version: engine.version, rules: rules, items: items))
    }
}
