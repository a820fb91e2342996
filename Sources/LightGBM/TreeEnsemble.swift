// LightGBM module: LightGBM's text model read into a tree ensemble that predicts as LightGBM does.
// Below Inference (whose `LightGBMModel` wraps it) and free of swift-crypto, so the fuzz target of the
// reader builds on it alone.

public import ArtifactFormats

/// LightGBM's tree ensemble as flat arrays (split feature, threshold, decision type, children, leaf values).
///
/// All trees share one node array and one leaf array, so a model is four allocations however many
/// trees it has. Prediction reproduces LightGBM 4.x (`GBDT::PredictRaw` over `Tree::Predict`) bit for
/// bit: each row's Floats are widened to Double and every tree's leaf value is added in tree order
/// starting from 0.0. Missing values follow the split's missing type, and NaN or a negative value at a
/// categorical split goes right, as LightGBM on x86-64 does.
///
/// Only single-output models are read (num_class=1, one tree per iteration), without linear trees and
/// without `average_output` (random forests). The objective is not applied: the prediction is
/// LightGBM's raw score (`predict(..., raw_score=True)`), which is the prediction for `regression`.
public struct TreeEnsemble: Sendable {
    /// Every split of every tree; a tree's nodes are contiguous and its root is `roots[tree]`.
    let nodes: [Node]
    /// Every leaf's output, shrinkage already applied (LightGBM writes leaf values after shrinkage).
    let leafValues: [Double]
    /// Per tree, the root: a node index, or `~leaf` for a tree that is a single leaf.
    let roots: [Int32]
    /// The category bitsets of all categorical splits, each split owning a run of 32-bit words.
    let categoryBits: [UInt32]

    /// Number of input features the model expects (max_feature_idx + 1).
    public let featureCount: Int

    public var treeCount: Int { roots.count }

    /// Parses LightGBM's text model. Errors name `file` and what is wrong (e.g. "Tree=3: left_child has 29 values, expected 30").
    public init(lightGBMText bytes: [UInt8], file: String) throws(ArtifactError) {
        self = try LightGBMTextParser(file: file).parse(bytes)
    }

    init(nodes: [Node], leafValues: [Double], roots: [Int32], categoryBits: [UInt32], featureCount: Int) {
        self.nodes = nodes
        self.leafValues = leafValues
        self.roots = roots
        self.categoryBits = categoryBits
        self.featureCount = featureCount
    }

    /// Raw prediction (sum of the trees' leaf values, in Double) for one row of `featureCount` Floats; NaN = missing.
    ///
    /// `row` must hold at least `featureCount` values (a shorter row is a programming error and traps).
    public func predict(_ row: UnsafeBufferPointer<Float>) -> Double {
        precondition(row.count >= featureCount, "row has \(row.count) features, the model needs \(featureCount)")
        guard let values = row.baseAddress else { preconditionFailure("empty row") }
        return withTables { tables in
            var sum = 0.0
            for root in tables.roots {
                sum += tables.leaves[tables.leaf(from: root, row: values)]
            }
            return sum
        }
    }

    /// Predictions for `count` rows laid out with `stride` Floats between row starts; evaluates many rows per tree (row-block loop, tree-major) to stay in cache.
    ///
    /// Each output is bit-identical to `predict(_:)` of the same row: a row's trees are still added in
    /// tree order, only the loops are interchanged. `stride` must be at least `featureCount`.
    public func predict(rows: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>) {
        precondition(count >= 0, "negative row count")
        precondition(count <= 1 || stride >= featureCount, "stride \(stride) is shorter than a row of \(featureCount) features")
        withTables { tables in
            var blockStart = 0
            while blockStart < count {
                let blockEnd = min(blockStart + Self.rowsPerBlock, count)
                for r in blockStart..<blockEnd { output[r] = 0 }
                // Tree-major inside the block: one tree's nodes stay hot while every row of the block
                // walks it, and the block's rows (a few KB) stay in L1/L2 across all the trees.
                for root in tables.roots {
                    for r in blockStart..<blockEnd {
                        output[r] += tables.leaves[tables.leaf(from: root, row: rows + r * stride)]
                    }
                }
                blockStart = blockEnd
            }
        }
    }

    /// Rows evaluated together per tree: 64 rows of a few hundred features fit in L2 next to one tree.
    static let rowsPerBlock = 64

    /// The arrays as unchecked buffers for the hot loop; every index stored in them was range-checked
    /// by the parser, so the walk itself needs no bounds checks.
    private func withTables<R>(_ body: (Tables) -> R) -> R {
        nodes.withUnsafeBufferPointer { nodes in
            leafValues.withUnsafeBufferPointer { leaves in
                categoryBits.withUnsafeBufferPointer { bits in
                    roots.withUnsafeBufferPointer { roots in
                        body(Tables(nodes: nodes, leaves: leaves, bits: bits, roots: roots))
                    }
                }
            }
        }
    }
}

extension TreeEnsemble {
    /// LightGBM's `kZeroThreshold` (`1e-35f`, a Float widened to Double): a smaller magnitude is zero.
    static let zeroThreshold = Double(Float(1e-35))

    /// How a split decides, from LightGBM's decision_type byte (bit 0 categorical, bit 1 default left,
    /// bits 2-3 missing type 0 None, 1 Zero, 2 NaN).
    enum Rule: UInt8, Sendable {
        /// Missing type None: NaN counts as 0, then `value <= threshold`.
        case numerical
        /// Missing type Zero: 0 (and NaN, which counts as 0) goes the default way.
        case numericalZeroMissing
        /// Missing type NaN: NaN goes the default way.
        case numericalNaNMissing
        /// Left when the value's integer part is a category in the split's bitset.
        case categorical
    }

    /// One split. Children use LightGBM's encoding, made global over all trees: `>= 0` is an index
    /// into `nodes`, `< 0` is `~index` into `leafValues`. The parser guarantees that a child node
    /// comes after its parent, so every walk ends.
    struct Node: Sendable {
        var threshold: Double
        var left: Int32
        var right: Int32
        var feature: Int32
        /// Categorical splits: the first word of the bitset in `categoryBits`, and its word count.
        var bitsetStart: Int32
        var bitsetWords: Int32
        var rule: Rule
        var defaultLeft: Bool

        /// The child `raw` leads to: `Tree::NumericalDecision` / `Tree::CategoricalDecision`.
        @inline(__always)
        func child(for raw: Float, bits: UnsafeBufferPointer<UInt32>) -> Int32 {
            var value = Double(raw)
            // LightGBM's dense-row reader keeps only |x| > kZeroThreshold (or NaN) and the rest reach
            // the trees as exactly 0. NaN fails the comparison and stays NaN.
            if value.magnitude <= TreeEnsemble.zeroThreshold { value = 0 }
            switch rule {
            case .numerical:
                if value.isNaN { value = 0 }
            case .numericalZeroMissing:
                if value.isNaN || value == 0 { return defaultLeft ? left : right }
            case .numericalNaNMissing:
                if value.isNaN { return defaultLeft ? left : right }
            case .categorical:
                // LightGBM takes `static_cast<int>(value)` and sends negative results right. On x86-64
                // (where models are trained and the reference predictions come from) NaN and values
                // outside Int32 convert to INT_MIN, so they go right as well: only (-1, 2^31) can hit
                // the bitset, truncated toward zero like C (so -0.5 is category 0).
                guard value > -1, value < 2_147_483_648 else { return right }
                let category = Int(value)
                let word = category &>> 5
                guard word < Int(bitsetWords) else { return right }
                let bitset = bits[Int(bitsetStart) &+ word]
                return (bitset &>> UInt32(category & 31)) & 1 == 1 ? left : right
            }
            return value <= threshold ? left : right
        }
    }

    /// Unchecked views of the ensemble's arrays for one prediction call.
    struct Tables {
        let nodes: UnsafeBufferPointer<Node>
        let leaves: UnsafeBufferPointer<Double>
        let bits: UnsafeBufferPointer<UInt32>
        let roots: UnsafeBufferPointer<Int32>

        /// The leaf `row` reaches from `root`, as an index into `leaves` (`Tree::GetLeaf`).
        @inline(__always)
        func leaf(from root: Int32, row: UnsafePointer<Float>) -> Int {
            var index = root
            while index >= 0 {
                let node = nodes[Int(index)]
                index = node.child(for: row[Int(node.feature)], bits: bits)
            }
            return Int(~index)
        }
    }
}
