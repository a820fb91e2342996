/// Predicted weekly demand and revenue at one candidate price (docs/price-response.md, step 2).
public struct PricePoint: Sendable, Equatable {
    /// The candidate list price.
    public let unitPrice: Double
    /// Expected units per week: `B · M(p)`.
    public let quantity: Double
    /// Min, max, 10th and 90th percentile over the product's context rows (its recent weeks) of
    /// `exp(f_r) · M(p)`: how the volume varied across those weeks.
    public let quantityMin: Double
    public let quantityMax: Double
    public let quantityP10: Double
    public let quantityP90: Double
    /// Expected revenue per week: `ρ · p · B · M(p)`.
    public let sales: Double
    /// 10th and 90th percentile over the posterior draws of `ρ · p · B · m_s(p)`.
    public let salesP10: Double
    public let salesP90: Double
    /// Expected profit per week `(ρ · p − k) · B · M(p)`, when a unit cost `k` was given.
    public let profit: Double?

    public init(unitPrice: Double, quantity: Double, quantityMin: Double, quantityMax: Double, quantityP10: Double,
                quantityP90: Double, sales: Double, salesP10: Double, salesP90: Double, profit: Double?) {
        self.unitPrice = unitPrice
        self.quantity = quantity
        self.quantityMin = quantityMin
        self.quantityMax = quantityMax
        self.quantityP10 = quantityP10
        self.quantityP90 = quantityP90
        self.sales = sales
        self.salesP10 = salesP10
        self.salesP90 = salesP90
        self.profit = profit
    }
}

/// The price decision for one product (docs/price-response.md, steps 3–9): the best price on the
/// search grid, whether the evidence is strong enough to move to it, and the uncertainty of both.
public struct Recommendation: Sendable, Equatable {
    /// What the decision maximizes: revenue per week, or profit per week with a unit cost.
    public enum Objective: String, Sendable { case sales, profit }
    /// Which end of the search range the best price sits on.
    public enum Edge: String, Sendable { case lower, upper }
    /// Move to the best price, or keep the current one.
    public enum Decision: String, Sendable {
        case change
        case keepCurrent = "keep_current"
    }
    /// Why the decision is what it is.
    public enum Reason: String, Sendable {
        /// The model's evidence supports the change to its best price: the gain is probable and large enough.
        case model
        /// The evidence supports only part of the way to the best price: the decided price is the one with
        /// the highest expected gain among those whose gain is probable and large enough.
        case evidenceLimited = "evidence_limited"
        /// The best price is within 0.5% of the current one.
        case atCurrentPrice = "at_current_price"
        /// The gain is too uncertain or too small to act on.
        case insufficientEvidence = "insufficient_evidence"
    }

    public let objective: Objective
    /// The decided price: `bestPrice` on a change, else `currentPrice` (the API's `optimal_unit_price`).
    public let price: Double
    /// `p0`: the product's recent list price.
    public let currentPrice: Double
    /// `p*`: the grid price with the highest expected objective.
    public let bestPrice: Double
    public let decision: Decision
    public let reason: Reason
    /// Mean over the draws of `V_s(p) − V_s(p0)` (revenue or profit per week), at the decided price `p` when
    /// changing and at `p*` when keeping; its 10th/90th percentiles, and its share of `V(p0)` (a fraction;
    /// when `V(p0) ≤ 0`, infinity for a positive gain and 0 otherwise).
    public let expectedGain: Double
    public let expectedGainFraction: Double
    public let gainP10: Double
    public let gainP90: Double
    /// Share of the draws in which that price beats `p0`.
    public let probabilityOfGain: Double
    /// 10th/90th percentile of each draw's own best grid price.
    public let bestPriceP10: Double
    public let bestPriceP90: Double
    /// Price elasticity of demand at `p0`: `b + 2c·Δ0`, mean and 10th/90th percentile over the draws.
    public let elasticity: Double
    public let elasticityP10: Double
    public let elasticityP90: Double
    /// The range searched: the request's range within the supported one (or the request's when they
    /// do not overlap, with `outsideSupport` set).
    public let searchMin: Double
    public let searchMax: Double
    public let outsideSupport: Bool
    /// Set when `p*` is the first or last grid price: the optimum may lie beyond the search range.
    public let atRangeEdge: Edge?
    /// Expected units and revenue per week at the decided price (`max_predicted_sales` is the revenue),
    /// and profit per week there with a unit cost.
    public let quantity: Double
    public let sales: Double
    public let profit: Double?

    public init(objective: Objective, price: Double, currentPrice: Double, bestPrice: Double, decision: Decision, reason: Reason,
                expectedGain: Double, expectedGainFraction: Double, gainP10: Double, gainP90: Double, probabilityOfGain: Double,
                bestPriceP10: Double, bestPriceP90: Double, elasticity: Double, elasticityP10: Double, elasticityP90: Double,
                searchMin: Double, searchMax: Double, outsideSupport: Bool, atRangeEdge: Edge?, quantity: Double, sales: Double,
                profit: Double?) {
        self.objective = objective
        self.price = price
        self.currentPrice = currentPrice
        self.bestPrice = bestPrice
        self.decision = decision
        self.reason = reason
        self.expectedGain = expectedGain
        self.expectedGainFraction = expectedGainFraction
        self.gainP10 = gainP10
        self.gainP90 = gainP90
        self.probabilityOfGain = probabilityOfGain
        self.bestPriceP10 = bestPriceP10
        self.bestPriceP90 = bestPriceP90
        self.elasticity = elasticity
        self.elasticityP10 = elasticityP10
        self.elasticityP90 = elasticityP90
        self.searchMin = searchMin
        self.searchMax = searchMax
        self.outsideSupport = outsideSupport
        self.atRangeEdge = atRangeEdge
        self.quantity = quantity
        self.sales = sales
        self.profit = profit
    }
}

/// A whole request's answer: the curve over the requested prices and the decision.
public struct PriceCurve: Sendable {
    public let stockcode: String
    public let description: String
    public let points: [PricePoint]
    public let recommendation: Recommendation
    /// `B`: expected units per week at the reference price, averaged over the context rows.
    public let baseline: Double
    /// The model that answered, and why earlier models in the fallback order did not.
    public let model: String
    public let skippedModels: [String]
    public let modelVersion: String
    public let contextRows: Int

    public init(stockcode: String, description: String, points: [PricePoint], recommendation: Recommendation, baseline: Double,
                model: String, skippedModels: [String], modelVersion: String, contextRows: Int) {
        self.stockcode = stockcode
        self.description = description
        self.points = points
        self.recommendation = recommendation
        self.baseline = baseline
        self.model = model
        self.skippedModels = skippedModels
        self.modelVersion = modelVersion
        self.contextRows = contextRows
    }
}
