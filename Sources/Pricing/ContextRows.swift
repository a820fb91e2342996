public import Inference
public import Storage

/// A product's context rows (its recent weeks) in the form the models consume: the numeric model
/// inputs, the statistics price features would divide by (none in format 2: no model reads the
/// price), and the category codes.
public struct ContextRows: Sendable {
    public let count: Int
    /// count × numeric feature count, in the preprocessor's order; price-feature slots are NaN.
    public let numeric: [Double]
    /// count × price feature count: the row's value of each price feature's stat (NaN when none).
    public let stats: [Double]
    /// count × categorical feature count (-1 = missing or unknown).
    public let codes: [Int32]

    /// The first `limit` rows of `parts`, in order, as one set (the benchmark's 1,200-row workload).
    public static func concatenating(_ parts: [ContextRows], limit: Int) -> ContextRows {
        var numeric: [Double] = [], stats: [Double] = [], codes: [Int32] = []
        var count = 0
        for part in parts where count < limit {
            let take = min(part.count, limit - count)
            let n = part.numeric.count / max(part.count, 1), s = part.stats.count / max(part.count, 1)
            let c = part.codes.count / max(part.count, 1)
            numeric += part.numeric.prefix(take * n)
            stats += part.stats.prefix(take * s)
            codes += part.codes.prefix(take * c)
            count += take
        }
        return ContextRows(count: count, numeric: numeric, stats: stats, codes: codes)
    }
}

/// How context-matrix columns map onto the preprocessor's inputs; built once per model version.
public struct ContextLayout: Sendable {
    /// For each numeric feature: its context column, or nil for a price feature.
    let numericColumns: [Int?]
    /// For each price feature: its position among the numeric features.
    public let priceNumericIndex: [Int]
    /// For each price feature: the context column of its stat, or nil.
    let statColumns: [Int?]
    let categoricalColumns: [Int]

    public init(columns: [String], preprocessor: Preprocessor, priceFunction: PriceFeatureFunction) throws(ArtifactError) {
        let position = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let priceNames = Set(priceFunction.names)
        var numeric: [Int?] = []
        for name in preprocessor.numericNames {
            if priceNames.contains(name) {
                numeric.append(nil)
            } else if let column = position[name] {
                numeric.append(column)
            } else {
                throw ArtifactError(file: "manifest.json", .malformed("feature \(name) is neither a context column nor a price feature"))
            }
        }
        var priceIndex: [Int] = []
        var stats: [Int?] = []
        for (name, op) in zip(priceFunction.names, priceFunction.operations) {
            guard let i = preprocessor.numericNames.firstIndex(of: name) else {
                throw ArtifactError(file: "manifest.json", .malformed("price feature \(name) is not a model input"))
            }
            priceIndex.append(i)
            if case .ratio(let stat) = op {
                guard let column = position[stat] else {
                    throw ArtifactError(file: "manifest.json", .malformed("price feature \(name) needs context column \(stat)"))
                }
                stats.append(column)
            } else {
                stats.append(nil)
            }
        }
        var categorical: [Int] = []
        for name in preprocessor.categoricalNames {
            guard let column = position[name] else {
                throw ArtifactError(file: "manifest.json", .malformed("categorical feature \(name) is not a context column"))
            }
            categorical.append(column)
        }
        numericColumns = numeric
        priceNumericIndex = priceIndex
        statColumns = stats
        categoricalColumns = categorical
    }

    /// Converts a feature-store matrix (Float, categories as codes with NaN = missing).
    public func rows(from matrix: ContextMatrix) -> ContextRows {
        let width = matrix.columns.count
        var numeric = [Double](repeating: .nan, count: matrix.count * numericColumns.count)
        var stats = [Double](repeating: .nan, count: matrix.count * statColumns.count)
        var codes = [Int32](repeating: -1, count: matrix.count * categoricalColumns.count)
        for r in 0..<matrix.count {
            let row = r * width
            for (i, column) in numericColumns.enumerated() {
                if let column { numeric[r * numericColumns.count + i] = Double(matrix.values[row + column]) }
            }
            for (q, column) in statColumns.enumerated() {
                if let column { stats[r * statColumns.count + q] = Double(matrix.values[row + column]) }
            }
            for (c, column) in categoricalColumns.enumerated() {
                let v = matrix.values[row + column]
                if v.isFinite && v >= 0 && v < Float(Int32.max) { codes[r * categoricalColumns.count + c] = Int32(v) }
            }
        }
        return ContextRows(count: matrix.count, numeric: numeric, stats: stats, codes: codes)
    }
}
