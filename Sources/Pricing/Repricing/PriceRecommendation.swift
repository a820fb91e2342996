import ArtifactFormats

/// One product's line of a repricing run: its current and recommended price under the shop's rules,
/// the rule that set it, and what the change is expected to bring, with its uncertainty. README
/// ("Repricing the catalogue") explains every column.
public struct PriceRecommendation: Sendable, Equatable {
    /// Where the current price came from.
    public enum CurrentPriceSource: String, Sendable {
        /// The catalogue file's `current_price`.
        case catalogue
        /// The product's regular price in the model version (the highest posted price of its last 3 weeks with sales, net of the shop's seasonal index).
        case history
    }

    /// Warnings a reviewer should see.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The model's best price is at an end of the supported range: the optimum may lie beyond it.
        public static let atSearchEdge = Flags(rawValue: 1)
        /// The recommended price lies outside the prices the product ever sold at.
        public static let outsideHistory = Flags(rawValue: 2)
        /// Few transaction lines behind the product (fewer than ``PriceRecommendation/thinDataLines``).
        public static let thinData = Flags(rawValue: 4)
        /// The rules allow no price the data supports: the price is the allowed one nearest to that range.
        public static let outsideSupport = Flags(rawValue: 8)
        /// No price with the requested ending keeps every rule; the price is left unrounded.
        public static let priceEndingUnavailable = Flags(rawValue: 16)

        /// Each flag and its name in the API and the CSV, in this order.
        public static let named: [(Flags, String)] = [
            (.atSearchEdge, "at_search_edge"), (.outsideHistory, "outside_history"), (.thinData, "thin_data"),
            (.outsideSupport, "outside_support"), (.priceEndingUnavailable, "price_ending_unavailable"),
        ]

        /// The names of the flags set, in ``named`` order.
        public var names: [String] { Self.named.compactMap { contains($0.0) ? $0.1 : nil } }
    }

    /// A product with fewer transaction lines than this is flagged `thin_data`.
    public static let thinDataLines = 30

    public let stockcode: String
    public let description: String
    public let currentPrice: Double
    public let currentPriceSource: CurrentPriceSource
    /// The recommended list price (the current one when keeping).
    public let price: Double
    public let decision: Recommendation.Decision
    public let bindingRule: BindingRule
    /// The model's best price in the supported range before rules and the evidence threshold.
    public let unconstrainedPrice: Double
    /// The prices the rules allow (nil: no rule bounds that side).
    public let allowedMin: Double?
    public let allowedMax: Double?
    public let unitCost: Double?
    public let floor: Double?
    public let ceiling: Double?
    /// Revenue, or profit with a unit cost: what the price maximizes and the gain measures.
    public let objective: Recommendation.Objective
    /// Mean over the draws of `V_s(price) − V_s(current)` per week, its 10th/90th percentiles, its share of
    /// `V(current)`, and the share of draws in which it is positive (all 0 when keeping).
    public let expectedGain: Double
    public let gainP10: Double
    public let gainP90: Double
    public let expectedGainFraction: Double
    public let probabilityOfGain: Double
    /// Price elasticity at the current price (mean, 10th/90th percentile over the draws).
    public let elasticity: Double
    public let elasticityP10: Double
    public let elasticityP90: Double
    /// Expected units, revenue and (with a unit cost) profit per week at the current and the recommended price.
    public let unitsCurrent: Double
    public let unitsRecommended: Double
    public let revenueCurrent: Double
    public let revenueRecommended: Double
    public let profitCurrent: Double?
    public let profitRecommended: Double?
    /// The model that predicted the baseline volume, and the model version.
    public let model: String
    public let modelVersion: String
    public let flags: Flags

    /// `price / currentPrice − 1`.
    public var changeFraction: Double { price / currentPrice - 1 }

    init(product: ProductRecord, terms: ProductTerms, outcome o: DecisionOutcome, model: String, modelVersion: String) {
        stockcode = product.stockcode
        description = product.description
        currentPrice = o.currentPrice
        currentPriceSource = terms.currentPrice == nil ? .history : .catalogue
        price = o.price
        decision = o.price == o.currentPrice ? .keepCurrent : .change
        bindingRule = o.bindingRule
        unconstrainedPrice = o.unconstrainedPrice
        allowedMin = o.band.lowRule == nil ? nil : o.band.low
        allowedMax = o.band.highRule == nil ? nil : o.band.high
        unitCost = terms.unitCost
        floor = terms.floor
        ceiling = terms.ceiling
        objective = terms.unitCost == nil ? .sales : .profit
        expectedGain = o.expectedGain
        gainP10 = o.gainP10
        gainP90 = o.gainP90
        expectedGainFraction = o.expectedGainFraction
        probabilityOfGain = o.probabilityOfGain
        elasticity = o.elasticity
        elasticityP10 = o.elasticityP10
        elasticityP90 = o.elasticityP90
        unitsCurrent = o.unitsCurrent
        unitsRecommended = o.unitsRecommended
        revenueCurrent = o.revenueCurrent
        revenueRecommended = o.revenueRecommended
        profitCurrent = o.profitCurrent
        profitRecommended = o.profitRecommended
        self.model = model
        self.modelVersion = modelVersion
        var flags: Flags = []
        if o.atSearchEdge != nil { flags.insert(.atSearchEdge) }
        if o.price < product.price.min || o.price > product.price.max { flags.insert(.outsideHistory) }
        if product.lines < Self.thinDataLines { flags.insert(.thinData) }
        if o.outsideSupport { flags.insert(.outsideSupport) }
        if o.priceEndingUnavailable { flags.insert(.priceEndingUnavailable) }
        self.flags = flags
    }
}
