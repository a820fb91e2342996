import ArtifactFormats

/// What a caller asks of the price sweep for one product.
public struct SweepRequest: Sendable, Equatable {
    public static let defaultBins = 100
    public static let binRange = 2...1000
    /// Prices and costs above this are refused: no retail unit price is that high, and the models'
    /// quantities would overflow there.
    public static let maximumPrice = 1_000_000.0
    /// Prices below this are refused too (``ProductTerms/minimumPrice``, which a catalogue's prices are held to).
    public static let minimumPrice = ProductTerms.minimumPrice

    public var stockcode: String
    /// Lowest candidate price; default: the product's lowest historical price, or the lowest price
    /// its data supports when that is lower.
    public var minPrice: Double?
    /// Highest candidate price; default: the product's highest historical price, or the highest price
    /// its data supports when that is higher.
    public var maxPrice: Double?
    public var bins: Int
    /// With a unit cost, profit per week is computed and the decision maximizes it instead of revenue.
    public var unitCost: Double?

    public init(stockcode: String, minPrice: Double? = nil, maxPrice: Double? = nil, bins: Int = SweepRequest.defaultBins,
                unitCost: Double? = nil) {
        self.stockcode = stockcode
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.bins = bins
        self.unitCost = unitCost
    }

    /// Checks the numbers a caller can get wrong, before any work.
    public func validate() throws(SweepError) {
        guard Self.binRange.contains(bins) else { throw .invalidBins(bins) }
        for (name, value) in [("min price", minPrice), ("max price", maxPrice)] {
            if let value, !(value.isFinite && value >= Self.minimumPrice && value <= Self.maximumPrice) { throw .invalidPrice(name: name, value: value) }
        }
        if let minPrice, let maxPrice, minPrice > maxPrice { throw .emptyRange(min: minPrice, max: maxPrice) }
        if let unitCost, !(unitCost.isFinite && unitCost >= 0 && unitCost <= Self.maximumPrice) { throw .invalidUnitCost(unitCost) }
    }
}

/// Why a sweep could not be answered; `description` is a message for the caller.
public enum SweepError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownProduct(String)
    case invalidBins(Int)
    case invalidPrice(name: String, value: Double)
    case emptyRange(min: Double, max: Double)
    case invalidUnitCost(Double)
    case noModelAnswered([String])
    case artifact(String)

    public var description: String {
        switch self {
        case .unknownProduct(let code): "unknown stockcode \(code)"
        case .invalidBins(let bins):
            "number of price bins must be between \(SweepRequest.binRange.lowerBound) and \(SweepRequest.binRange.upperBound), got \(bins)"
        case .invalidPrice(let name, let value): "\(name) must be a number from 0.000001 to 1000000, got \(value)"
        case .emptyRange(let min, let max): "min price \(min) is greater than max price \(max)"
        case .invalidUnitCost(let cost): "unit cost must be a number from 0 to 1000000, got \(cost)"
        case .noModelAnswered(let reasons): "no model could answer: " + reasons.joined(separator: "; ")
        case .artifact(let message): "artifact problem: \(message)"
        }
    }
}
