import Foundation

/// golden.json of a version: raw rows with every model's expected baseline, and reference sweeps
/// (curve per model, and the decision of the default request; docs/price-response.md).
///
/// Decoded with `JSONDecoder`, which reads numbers exactly; `JSONSerialization` turns some 17-digit
/// numbers into lossy `NSDecimalNumber`s, which would break bit-exact comparisons.
public struct Golden {
    public struct Row {
        /// Context features by name: numbers (NaN for null) and categories (nil for null).
        public let numbers: [String: Double]
        public let categories: [String: String?]
        public let denseInput: [Float]
        public let treeInput: [Float]
        /// Every model's baseline f(x): log expected weekly units at the reference price.
        public let expected: [String: Double]
    }

    /// One model's curve at the sweep's prices.
    public struct Curve: Decodable {
        public let baseline: Double
        public let quantity: [Double]
        public let quantityMin: [Double]
        public let quantityMax: [Double]
        public let quantityP10: [Double]
        public let quantityP90: [Double]
        public let sales: [Double]
        public let salesP10: [Double]
        public let salesP90: [Double]
    }

    /// The decision of the default request (no unit cost), computed with the primary model's baseline.
    public struct Decision: Decodable {
        public let currentPrice: Double
        public let searchMin: Double
        public let searchMax: Double
        public let bestPrice: Double
        public let optimalUnitPrice: Double
        public let decision: String
        public let reason: String
        public let expectedGain: Double
        public let expectedGainPct: Double
        public let gainP10: Double
        public let gainP90: Double
        public let probabilityOfGain: Double
        public let bestPriceP10: Double
        public let bestPriceP90: Double
        public let elasticity: Double
        public let elasticityP10: Double
        public let elasticityP90: Double
        public let outsideSupport: Bool
    }

    public struct Sweep: Decodable {
        public let stockcode: String
        public let bins: Int
        public let prices: [Double]
        public let contextRows: Int
        public let models: [String: Curve]
        public let decision: Decision
    }

    public let rows: [Row]
    public let sweeps: [Sweep]

    private enum Scalar: Decodable {
        case number(Double), text(String), null
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
    }

    private struct Document: Decodable {
        struct RowDTO: Decodable {
            let context: [String: Scalar]?
            let denseInput: [Double?]
            let treeInput: [Double?]
            let expected: [String: Double]
        }
        let rows: [RowDTO]
        let sweeps: [Sweep]?
    }

    public init(versionPath: String, categorical: Set<String>) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: versionPath + "/golden.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let doc = try decoder.decode(Document.self, from: data)
        rows = doc.rows.map { r in
            var numbers: [String: Double] = [:]
            var categories: [String: String?] = [:]
            for (k, v) in r.context ?? [:] {
                switch v {
                case .number(let d): numbers[k] = d
                case .text(let s): categories[k] = s
                case .null: if categorical.contains(k) { categories[k] = .some(nil) } else { numbers[k] = .nan }
                }
            }
            return Row(numbers: numbers, categories: categories,
                       denseInput: r.denseInput.map { $0.map(Float.init) ?? .nan },
                       treeInput: r.treeInput.map { $0.map(Float.init) ?? .nan }, expected: r.expected)
        }
        sweeps = doc.sweeps ?? []
    }
}
