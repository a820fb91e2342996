public import Inference
public import Storage

/// A product's context rows (its recent weeks) in the form the models consume: the numeric model
/// inputs and the category codes. No model reads the price, so a row is the same at every price.
public struct ContextRows: Sendable {
    public let count: Int
    /// count × numeric feature count, in the preprocessor's order.
    public let numeric: [Double]
    /// count × categorical feature count (-1 = missing or unknown).
    public let codes: [Int32]

    /// The first `limit` rows of `parts`, in order, as one set (the benchmark's 1,200-row workload).
    public static func concatenating(_ parts: [ContextRows], limit: Int) -> ContextRows {
        var numeric: [Double] = [], codes: [Int32] = []
        var count = 0
        for part in parts where count < limit {
            let take = min(part.count, limit - count)
            let n = part.numeric.count / max(part.count, 1)
            let c = part.codes.count / max(part.count, 1)
            numeric += part.numeric.prefix(take * n)
            codes += part.codes.prefix(take * c)
            count += take
        }
        return ContextRows(count: count, numeric: numeric, codes: codes)
    }
}

/// How context-matrix columns map onto the preprocessor's inputs; built once per model version.
public struct ContextLayout: Sendable {
    /// For each numeric feature: its context column.
    let numericColumns: [Int]
    let categoricalColumns: [Int]

    public init(columns: [String], preprocessor: Preprocessor) throws(ArtifactError) {
        let position = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var numeric: [Int] = []
        for name in preprocessor.numericNames {
            guard let column = position[name] else {
                throw ArtifactError(file: "manifest.json", .malformed("feature \(name) is not a context column"))
            }
            numeric.append(column)
        }
        var categorical: [Int] = []
        for name in preprocessor.categoricalNames {
            guard let column = position[name] else {
                throw ArtifactError(file: "manifest.json", .malformed("categorical feature \(name) is not a context column"))
            }
            categorical.append(column)
        }
        numericColumns = numeric
        categoricalColumns = categorical
    }

    /// Converts a feature-store matrix (Float, categories as codes with NaN = missing).
    public func rows(from matrix: ContextMatrix) -> ContextRows {
        let width = matrix.columns.count
        var numeric = [Double](repeating: .nan, count: matrix.count * numericColumns.count)
        var codes = [Int32](repeating: -1, count: matrix.count * categoricalColumns.count)
        for r in 0..<matrix.count {
            let row = r * width
            for (i, column) in numericColumns.enumerated() {
                numeric[r * numericColumns.count + i] = Double(matrix.values[row + column])
            }
            for (c, column) in categoricalColumns.enumerated() {
                let v = matrix.values[row + column]
                if v.isFinite && v >= 0 && v < Float(Int32.max) { codes[r * categoricalColumns.count + c] = Int32(v) }
            }
        }
        return ContextRows(count: matrix.count, numeric: numeric, codes: codes)
    }
}
