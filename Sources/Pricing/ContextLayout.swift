public import ArtifactFormats
public import Inference

/// How context-matrix columns map onto the preprocessor's inputs; built once per model version. The
/// one writer of model inputs: a product's context rows (its recent weeks, as the feature store holds
/// them; no model reads the price, so a row is the same at every price) become the dense or the tree
/// input vectors, for one request as for a chunk of a repricing run.
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

    /// Writes `matrix`'s rows as model inputs in `layout` at `out` (row-major, the layout's width), with
    /// one row of scratch on the stack. Categories are codes in the matrix (NaN or out of range: missing, -1).
    func write(_ matrix: ContextMatrix, preprocessor: Preprocessor, layout: InputLayout, into out: UnsafeMutablePointer<Float>) {
        let width = layout == .dense ? preprocessor.denseWidth : preprocessor.treeWidth
        let n = numericColumns.count, c = categoricalColumns.count
        let columns = matrix.columns.count
        withUnsafeTemporaryAllocation(of: Double.self, capacity: max(n, 1)) { numeric in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(c, 1)) { codes in
                matrix.values.withUnsafeBufferPointer { values in
                    for r in 0..<matrix.count {
                        let row = r * columns
                        for (i, column) in numericColumns.enumerated() { numeric[i] = Double(values[row + column]) }
                        for (k, column) in categoricalColumns.enumerated() {
                            let v = values[row + column]
                            codes[k] = v.isFinite && v >= 0 && v < Float(Int32.max) ? Int32(v) : -1
                        }
                        let x = UnsafeBufferPointer(rebasing: numeric[0..<n]), k = UnsafeBufferPointer(rebasing: codes[0..<c])
                        if layout == .dense {
                            preprocessor.dense(numeric: x, codes: k, into: out + r * width)
                        } else {
                            preprocessor.tree(numeric: x, codes: k, into: out + r * width)
                        }
                    }
                }
            }
        }
    }
}

extension ContextMatrix {
    /// The first `limit` rows of `parts` (all with the same columns), in order, as one matrix (the
    /// benchmark's 1,200-row workload).
    public static func concatenating(_ parts: [ContextMatrix], limit: Int) -> ContextMatrix {
        var values: [Float] = []
        var count = 0
        for part in parts where count < limit {
            let take = min(part.count, limit - count)
            values += part.values.prefix(take * part.columns.count)
            count += take
        }
        return ContextMatrix(columns: parts.first?.columns ?? [], values: values, count: count)
    }
}
