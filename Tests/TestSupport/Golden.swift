import Foundation

/// golden.json of a version: raw rows with every model's expected output, and reference sweeps.
///
/// Decoded with `JSONDecoder`, which reads numbers exactly; `JSONSerialization` turns some 17-digit
/// numbers into lossy `NSDecimalNumber`s, which would break bit-exact comparisons.
public struct Golden {
    public struct Row {
        /// Context features by name: numbers (NaN for null) and categories (nil for null).
        public let numbers: [String: Double]
        public let categories: [String: String?]
        public let unitPrice: Double
        public let priceFeatures: [String: Double]
        public let denseInput: [Float]
        public let treeInput: [Float]
        public let expected: [String: Double]
    }

    public struct Sweep {
        public let stockcode: String
        public let prices: [Double]
        public let contextRows: Int
        /// Per model: quantity (median), quantity_min, quantity_max, sales, and best_index.
        public let models: [String: (quantity: [Double], min: [Double], max: [Double], sales: [Double], best: Int)]
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
            let context: [String: Scalar]
            let unitPrice: Double
            let priceFeatures: [String: Double?]
            let denseInput: [Double?]
            let treeInput: [Double?]
            let expected: [String: Double]
        }
        struct SweepDTO: Decodable {
            struct ModelDTO: Decodable {
                let quantity: [Double]
                let quantityMin: [Double]
                let quantityMax: [Double]
                let sales: [Double]
                let bestIndex: Int
            }
            let stockcode: String
            let prices: [Double]
            let contextRows: Int
            let models: [String: ModelDTO]
        }
        let rows: [RowDTO]
        let sweeps: [SweepDTO]?
    }

    public init(versionPath: String, categorical: Set<String>) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: versionPath + "/golden.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let doc = try decoder.decode(Document.self, from: data)
        rows = doc.rows.map { r in
            var numbers: [String: Double] = [:]
            var categories: [String: String?] = [:]
            for (k, v) in r.context {
                switch v {
                case .number(let d): numbers[k] = d
                case .text(let s): categories[k] = s
                case .null: if categorical.contains(k) { categories[k] = .some(nil) } else { numbers[k] = .nan }
                }
            }
            return Row(numbers: numbers, categories: categories, unitPrice: r.unitPrice,
                       priceFeatures: r.priceFeatures.mapValues { $0 ?? .nan },
                       denseInput: r.denseInput.map { $0.map(Float.init) ?? .nan },
                       treeInput: r.treeInput.map { $0.map(Float.init) ?? .nan }, expected: r.expected)
        }
        sweeps = (doc.sweeps ?? []).map { s in
            Sweep(stockcode: s.stockcode, prices: s.prices, contextRows: s.contextRows,
                  models: s.models.mapValues { ($0.quantity, $0.quantityMin, $0.quantityMax, $0.sales, $0.bestIndex) })
        }
    }
}
