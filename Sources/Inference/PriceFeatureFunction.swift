public import Storage

/// The manifest's price-feature function: every price-dependent input as a function of a candidate
/// unit price and the context row's statistics, exactly as training computed it (Double arithmetic).
public struct PriceFeatureFunction: Sendable {
    /// How one feature is derived from the price.
    public enum Operation: Sendable, Equatable {
        case identity
        case log
        /// price / stat, NaN when the stat is missing, not finite or <= 0.
        case ratio(stat: String)
    }

    public let names: [String]
    public let operations: [Operation]

    public init(specs: [Manifest.PriceFeatureSpec]) throws(ArtifactError) {
        var ops: [Operation] = []
        for spec in specs {
            switch spec.op {
            case "identity": ops.append(.identity)
            case "log": ops.append(.log)
            case "ratio":
                guard let stat = spec.stat else {
                    throw ArtifactError(file: "manifest.json", .malformed("price feature \(spec.name): ratio without a stat"))
                }
                ops.append(.ratio(stat: stat))
            default:
                throw ArtifactError(file: "manifest.json", .unsupported("price feature \(spec.name) has op \(spec.op)"))
            }
        }
        names = specs.map(\.name)
        operations = ops
    }

    /// The value of one feature at `price`; `stat` is the row's value of the operation's stat column
    /// (ignored by identity and log).
    @inline(__always)
    public static func evaluate(_ operation: Operation, price: Double, stat: Double) -> Double {
        switch operation {
        case .identity: price
        case .log: price > 0 ? libmLog(price) : .nan
        case .ratio: stat.isFinite && stat > 0 ? price / stat : .nan
        }
    }
}
