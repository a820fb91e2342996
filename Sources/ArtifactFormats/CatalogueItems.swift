/// One product to reprice: its stockcode and its catalogue terms; `line` is its line in the catalogue
/// file (nil for a run over every product).
public struct RepricingItem: Sendable, Equatable {
    public let stockcode: String
    public let terms: ProductTerms
    public let line: Int?

    public init(stockcode: String, terms: ProductTerms = ProductTerms(), line: Int? = nil) {
        self.stockcode = stockcode
        self.terms = terms
        self.line = line
    }
}

/// A product (or catalogue line) left out of a run, and why: nothing is dropped silently.
public struct SkippedProduct: Sendable, Equatable, CustomStringConvertible {
    public let stockcode: String
    /// The catalogue file's line and column, when the problem is in the file.
    public let line: Int?
    public let column: String?
    public let message: String

    public init(stockcode: String, line: Int?, column: String?, message: String) {
        self.stockcode = stockcode
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = line.map { "line \($0)" } ?? ""
        if let column { place += (place.isEmpty ? "" : ", ") + "column \(column)" }
        return (place.isEmpty ? "" : place + ": ") + message
    }
}

/// What a product's own catalogue row adds to the rules: its current price (else the product's recent
/// list price), its unit cost (adds profit, and the decision maximizes it), and absolute bounds.
public struct ProductTerms: Sendable, Equatable {
    public var currentPrice: Double?
    public var unitCost: Double?
    /// Lowest allowed price (MAP, a competitor bound).
    public var floor: Double?
    /// Highest allowed price.
    public var ceiling: Double?

    /// Prices below this are refused: far below any retail price, and the price response extrapolated
    /// far below the product's prices overflows (one product's quantities did below 1e-100).
    public static let minimumPrice = 0.000_001

    public init(currentPrice: Double? = nil, unitCost: Double? = nil, floor: Double? = nil, ceiling: Double? = nil) {
        self.currentPrice = currentPrice
        self.unitCost = unitCost
        self.floor = floor
        self.ceiling = ceiling
    }
}
