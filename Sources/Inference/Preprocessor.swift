public import ArtifactFormats

/// The training preprocessor, reproduced from the manifest's numbers (see models/README.md).
///
/// Raw rows are given as the numeric features in manifest order (Double, NaN = missing) and the
/// categorical features as codes (index into `categories`, -1 = missing or unknown). Arithmetic is the
/// Python side's, operation for operation in Double, rounded to Float last, so results are bit-identical.
public struct Preprocessor: Sendable {
    public let numericNames: [String]
    public let categoricalNames: [String]
    public let categories: [[String]]
    public let medians: [Double]
    public let means: [Double]
    public let scales: [Double]
    /// Width of the dense layout: numeric features, then one one-hot block per categorical feature.
    public let denseWidth: Int
    /// Width of the tree layout: numeric features, then one code column per categorical feature.
    public let treeWidth: Int
    /// First dense column of each categorical feature's one-hot block.
    public let oneHotOffsets: [Int]
    private let lookup: [[String: Int]]

    public init(_ spec: Manifest.Preprocessor) throws(ArtifactError) {
        numericNames = spec.numeric.map(\.name)
        categoricalNames = spec.categorical.map(\.name)
        categories = spec.categorical.map(\.categories)
        medians = spec.numeric.map(\.median)
        means = spec.numeric.map(\.mean)
        scales = spec.numeric.map(\.scale)
        var offsets: [Int] = []
        var width = numericNames.count
        for cats in categories {
            offsets.append(width)
            width += cats.count
        }
        oneHotOffsets = offsets
        denseWidth = width
        treeWidth = numericNames.count + categoricalNames.count
        lookup = categories.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        guard denseWidth == spec.denseWidth, treeWidth == spec.treeWidth else {
            throw ArtifactError(file: "manifest.json", .malformed(
                "preprocessor widths \(spec.denseWidth)/\(spec.treeWidth) do not match its features (\(denseWidth)/\(treeWidth))"))
        }
        guard scales.allSatisfy({ $0.isFinite && $0 != 0 }), medians.allSatisfy(\.isFinite), means.allSatisfy(\.isFinite) else {
            throw ArtifactError(file: "manifest.json", .malformed("preprocessor has a zero or non-finite scale, mean or median"))
        }
    }

    /// Code of a categorical value: its index in `categories[feature]`, or -1 when missing or unknown.
    public func code(feature: Int, value: String?) -> Int32 {
        guard let value, let index = lookup[feature][value] else { return -1 }
        return Int32(index)
    }

    /// Dense value of numeric feature `feature`: impute with the median, standardize, round to Float.
    @inline(__always)
    public func standardized(_ value: Double, feature: Int) -> Float {
        let x = value.isFinite ? value : medians[feature]
        return Float((x - means[feature]) / scales[feature])
    }

    /// Writes the dense layout of one raw row into `out` (`denseWidth` Floats).
    public func dense(numeric: UnsafeBufferPointer<Double>, codes: UnsafeBufferPointer<Int32>, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<numericNames.count { out[i] = standardized(numeric[i], feature: i) }
        (out + numericNames.count).update(repeating: 0, count: denseWidth - numericNames.count)
        for c in 0..<categoricalNames.count where codes[c] >= 0 && Int(codes[c]) < categories[c].count {
            out[oneHotOffsets[c] + Int(codes[c])] = 1
        }
    }

    /// Writes the tree layout of one raw row into `out` (`treeWidth` Floats): numbers as Float with NaN
    /// kept, then category codes as Float (NaN when missing or unknown).
    public func tree(numeric: UnsafeBufferPointer<Double>, codes: UnsafeBufferPointer<Int32>, into out: UnsafeMutablePointer<Float>) {
        let n = numericNames.count
        for i in 0..<n { out[i] = numeric[i].isFinite ? Float(numeric[i]) : .nan }
        for c in 0..<categoricalNames.count {
            out[n + c] = codes[c] >= 0 && Int(codes[c]) < categories[c].count ? Float(codes[c]) : .nan
        }
    }
}
