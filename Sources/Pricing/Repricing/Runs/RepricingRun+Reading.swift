public import ArtifactFormats

/// What a reader is told once it has read a run: the totals of the rows its filters kept (all pages),
/// how many those are, and every product left out (the catalogue's and the run's, by line).
public struct RunReadingEnd: Sendable {
    public let totals: RepricingTotals
    public let matched: Int
    public let skipped: [SkippedProduct]
}

/// The run went on without this reader: it left, or (a guard) the run was cancelled under it.
public struct ReaderGone: Error {}

extension RunTicket {
    /// Reads the run through `selection`: hands `deliver` the rows of the page, in order, as soon as
    /// they can be known (in stockcode order over every product, as the run produces them; any other
    /// order needs the whole run first), and returns the totals at the end. `isAbandoned` is asked each
    /// time the run delivers a chunk; once the reader is gone this throws, so that the run can stop
    /// (when this was its last reader). `catalogueSkips` are the lines the caller already refused.
    public func read(_ selection: RunSelection, catalogueSkips: [SkippedProduct] = [], isAbandoned: () async -> Bool,
                     deliver: ([PriceRecommendation]) async throws -> Void) async throws -> RunReadingEnd {
        let run = self.run
        var matched: [Int] = []
        var snap: RepricingRun.Snapshot
        /// Delivers `indices` (already filtered and ordered) that fall in the page.
        func emit(_ rows: [PriceRecommendation], _ indices: ArraySlice<Int>, skipBefore: Int) async throws {
            let start = max(0, selection.offset - skipBefore)
            let end = min(indices.count, selection.offset + selection.limit - skipBefore)
            guard start < end else { return }
            try await deliver(indices.dropFirst(start).prefix(end - start).map { rows[$0] })
        }
        /// Waits for the run to pass `seen` rows; throws when the reader has gone, so the run can stop.
        func next(beyond seen: Int) async throws -> RepricingRun.Snapshot {
            await run.wait(beyond: seen)
            if await isAbandoned() { throw ReaderGone() }
            let snap = run.snapshot()
            // Only a run without readers is cancelled, and this reader is one; so this is a guard.
            if !snap.finished && snap.rows.count <= seen && run.isCancelled { throw ReaderGone() }
            return snap
        }
        if selection.sort == .stockcode && run.inStockcodeOrder {
            var seen = 0
            repeat {
                snap = try await next(beyond: seen)
                let before = matched.count
                for i in seen..<snap.rows.count where selection.matches(snap.rows[i]) { matched.append(i) }
                try await emit(snap.rows, matched[before...], skipBefore: before)
                seen = snap.rows.count
            } while !snap.finished || seen < snap.rows.count
        } else {
            snap = run.snapshot()
            while !snap.finished { snap = try await next(beyond: snap.rows.count) }
            let rows = snap.rows
            matched = rows.indices.filter { selection.matches(rows[$0]) }
            matched.sort { selection.precedes(rows[$0], rows[$1]) }
            var from = 0
            while from < matched.count {
                let to = min(matched.count, from + 512)
                try await emit(rows, matched[from..<to], skipBefore: from)
                from = to
            }
        }
        let totals = RepricingTotals(rows: snap.rows, gains: snap.gains, draws: run.draws, indices: matched)
        let skipped = (catalogueSkips + snap.skipped).sorted { ($0.line ?? 0) < ($1.line ?? 0) }
        return RunReadingEnd(totals: totals, matched: matched.count, skipped: skipped)
    }
}
