/// Predicted demand and sales at one candidate price.
public struct PricePoint: Sendable, Equatable {
    public let unitPrice: Double
    /// Median predicted quantity over the product's context rows.
    public let quantity: Double
    public let quantityMin: Double
    public let quantityMax: Double
    public let quantityP10: Double
    public let quantityP90: Double
    /// unitPrice × quantity.
    public let sales: Double
    /// (unitPrice − unit cost) × quantity, when a unit cost was given.
    public let profit: Double?

    public init(unitPrice: Double, quantity: Double, quantityMin: Double, quantityMax: Double, quantityP10: Double,
                quantityP90: Double, sales: Double, profit: Double?) {
        self.unitPrice = unitPrice
        self.quantity = quantity
        self.quantityMin = quantityMin
        self.quantityMax = quantityMax
        self.quantityP10 = quantityP10
        self.quantityP90 = quantityP90
        self.sales = sales
        self.profit = profit
    }
}

/// The recommended price and what is notable about it.
public struct Recommendation: Sendable, Equatable {
    /// What the recommendation maximizes.
    public enum Objective: String, Sendable { case sales, profit }
    /// Where the best candidate sits in the requested range.
    public enum Edge: String, Sendable { case lower, upper }

    public let point: PricePoint
    public let index: Int
    public let objective: Objective
    /// Set when the best candidate is the first or last of the range: the optimum may lie beyond it.
    public let atRangeEdge: Edge?
    /// Set when the price is outside the product's historical prices: the models extrapolate there.
    public let outsideHistoricalPrices: Bool

    public init(point: PricePoint, index: Int, objective: Objective, atRangeEdge: Edge?, outsideHistoricalPrices: Bool) {
        self.point = point
        self.index = index
        self.objective = objective
        self.atRangeEdge = atRangeEdge
        self.outsideHistoricalPrices = outsideHistoricalPrices
    }
}

/// A whole sweep's answer.
public struct PriceCurve: Sendable {
    public let stockcode: String
    public let description: String
    public let points: [PricePoint]
    public let recommendation: Recommendation
    /// The model that answered, and why earlier models in the fallback order did not.
    public let model: String
    public let skippedModels: [String]
    public let modelVersion: String
    public let contextRows: Int

    public init(stockcode: String, description: String, points: [PricePoint], recommendation: Recommendation, model: String,
                skippedModels: [String], modelVersion: String, contextRows: Int) {
        self.stockcode = stockcode
        self.description = description
        self.points = points
        self.recommendation = recommendation
        self.model = model
        self.skippedModels = skippedModels
        self.modelVersion = modelVersion
        self.contextRows = contextRows
    }
}
