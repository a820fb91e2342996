import ArtifactFormats
import Storage

extension PricingEngine {
    /// A run under ``PricingRules/harmBudget``: the catalogue's prices are chosen together (``HarmBudget``).
    /// Pass 1 gets every product's baseline (chunk by chunk, as a run does) and its candidates: the gain share
    /// and P(loss > 2%) of each grid price of its rule band; the multiplier λ then follows for the whole
    /// catalogue; pass 2 decides and reports each product at its chosen price, chunk by chunk, as a run
    /// without a budget does (price ending, a test's arm and every reported number as there).
    ///
    /// The budget is over the run's products whose current price keeps every rule; a product whose current
    /// price breaks one is moved to its band by the per-product rule (the budget does not count it), and a
    /// product whose rules conflict is skipped, as in every run. `isCancelled` is asked before each chunk
    /// of either pass.
    ///
    /// `multiplier`, when given, is λ already solved for a larger catalogue under the same rules and version
    /// (``harmBudgetMultiplier(rules:isCancelled:)``): `all`'s products are then decided at it, each exactly
    /// as in that catalogue's run, instead of being budgeted among themselves. Otherwise λ is solved here and
    /// handed to `solved` before pass 2 begins.
    func repriceUnderHarmBudget(_ all: [RepricingItem], rules: PricingRules, multiplier: Double? = nil, isCancelled: () -> Bool,
                                solved onSolved: (Double) -> Void = { _ in }, deliver: (RepricingChunk) -> Void) {
        guard let baselined = harmBudgetBaselines(all, isCancelled: isCancelled),
              let table = harmBudgetTable(baselined.products, rules: rules) else { return }
        let (products, skipped) = baselined
        // The multiplier for the whole catalogue: solved here, or the larger catalogue's.
        let solved: [HarmBudget.Choice]
        if let multiplier {
            solved = table.table.choices(at: multiplier)
        } else {
            let solution = table.table.solve()
            onSolved(solution.multiplier)
            solved = solution.choices
        }
        var choices = [HarmBudget.Choice?](repeating: nil, count: products.count)
        for (row, position) in table.positions.enumerated() { choices[position] = solved[row] }

        // Pass 2: the rows, chunk by chunk; pass 1's skipped lines come with the first.
        var first = true
        var start = 0
        repeat {
            if isCancelled() { return }
            let end = min(products.count, start + Self.repricingChunk)
            var chunk = decide(products[start..<end], rules: rules, harmBudget: Array(choices[start..<end]))
            if first { chunk.skipped = skipped + chunk.skipped; first = false }
            deliver(chunk)
            start = end
        } while start < products.count
    }

    /// `items` decided at `multiplier`, the λ of a catalogue's run under `rules` (one product's answer
    /// under a budget): each row is the one that catalogue's run gives it.
    func reprice(_ items: [RepricingItem], rules: PricingRules, harmBudgetMultiplier multiplier: Double) throws(RuleError) -> RepricingChunk {
        try rules.validate()
        var out = RepricingChunk()
        repriceUnderHarmBudget(items, rules: rules, multiplier: multiplier, isCancelled: { false }) { chunk in
            out.rows += chunk.rows
            out.gains += chunk.gains
            out.skipped += chunk.skipped
        }
        return out
    }

    /// λ of the run of `rules` over every product of the version (passes 1 and the bisection of
    /// ``repriceUnderHarmBudget(_:rules:multiplier:isCancelled:deliver:)``, without pass 2); nil when
    /// `rules` have no budget or the work was cancelled.
    func harmBudgetMultiplier(rules: PricingRules, isCancelled: () -> Bool = { false }) -> Double? {
        guard let baselined = harmBudgetBaselines(wholeCatalogue, isCancelled: isCancelled),
              let table = harmBudgetTable(baselined.products, rules: rules) else { return nil }
        return table.table.solve().multiplier
    }

    /// Every product of the version in stockcode order, with no per-line terms: the catalogue of a run over
    /// every product, and the one ``harmBudgetMultiplier(rules:isCancelled:)`` budgets.
    var wholeCatalogue: [RepricingItem] { store.products.map { RepricingItem(stockcode: $0.stockcode) } }

    /// Whether a run over `items` (nil: every product) solves exactly the λ of
    /// ``harmBudgetMultiplier(rules:isCancelled:)`` under the same rules: its items are the version's
    /// products in the same order (the bisection sums in row order) and carry no terms (a current price, a
    /// cost, a floor or a ceiling changes a product's grid, weight or membership). A line number only names
    /// the line in a skipped product's message.
    func solvesCatalogueMultiplier(_ items: [RepricingItem]?) -> Bool {
        guard let items else { return true }
        let products = store.products
        guard items.count == products.count else { return false }
        for (item, product) in zip(items, products) where item.stockcode != product.stockcode || item.terms != ProductTerms() {
            return false
        }
        return true
    }

    /// Pass 1a: every product's baseline, chunk by chunk as a run does; nil when cancelled.
    private func harmBudgetBaselines(_ all: [RepricingItem], isCancelled: () -> Bool)
        -> (products: [BaselinedProduct], skipped: [SkippedProduct])? {
        var products: [BaselinedProduct] = []
        var skipped: [SkippedProduct] = []
        products.reserveCapacity(all.count)
        var start = 0
        while start < all.count {
            if isCancelled() { return nil }
            let end = min(all.count, start + Self.repricingChunk)
            let chunk = baselines(for: all[start..<end])
            products += chunk.products
            skipped += chunk.skipped
            start = end
        }
        return isCancelled() ? nil : (products, skipped)
    }

    /// Pass 1b: the members of the budget (each row's position in `products`) and their rows, filled on
    /// every core; nil when `rules` have no budget.
    private func harmBudgetTable(_ products: [BaselinedProduct], rules: PricingRules) -> (table: HarmBudget, positions: [Int])? {
        guard let budget = rules.harmBudget else { return nil }
        let settings = HarmBudget.Settings(budget: budget, spread: rules.harmBudgetSpread ?? 1,
                                           minExpectedGain: manifest.priceResponse.decision.minExpectedGain,
                                           minProbabilityOfGain: rules.minProbabilityOfGain)
        var members: [(position: Int, inputs: DecisionInputs, low: Double, high: Double)] = []
        members.reserveCapacity(products.count)
        for (position, product) in products.enumerated() {
            let record = store.products[product.index]
            guard let response = priceResponse.product(product.index),
                  let inputs = try? DecisionInputs.repricing(response, stockcode: record.stockcode, terms: product.item.terms, rules: rules),
                  inputs.band.contains(inputs.currentPrice) else { continue }
            // The grid spans the band, as the loop's spans ±max_change (not only the data's support); a side
            // no rule bounds stops at the support (or today's price, when that lies beyond it).
            let band = inputs.band
            let low = band.low > 0 ? band.low : min(response.supportLow, inputs.currentPrice)
            let high = band.high.isFinite ? band.high : max(response.supportHigh, inputs.currentPrice)
            members.append((position, inputs, low, high))
        }
        let candidates = members
        var table = HarmBudget(count: candidates.count, settings: settings)
        let s = priceResponse.draws
        table.withRows { rows in
            forEachChunk(count: candidates.count, chunk: 16) { range, _ in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: HarmBudget.scratchCount(draws: s)) { scratch in
                    for row in range {
                        let member = candidates[row]
                        let product = products[member.position]
                        guard let response = self.priceResponse.product(product.index) else { continue }
                        response.draws.withUnsafeBufferPointer { draws in
                            let candidate = HarmBudget.Product(
                                draws: draws.baseAddress!, drawCount: response.drawCount, referenceLogPrice: response.referenceLogPrice,
                                realizedPriceRatio: response.realizedPriceRatio, unitCost: member.inputs.unitCost ?? 0,
                                baseline: product.baseline, currentPrice: member.inputs.currentPrice, low: member.low, high: member.high)
                            HarmBudget.fillRow(candidate, settings: settings, row: row, into: rows, scratch: scratch.baseAddress!)
                        }
                    }
                }
            }
        }

        return (table, members.map(\.position))
    }
}
