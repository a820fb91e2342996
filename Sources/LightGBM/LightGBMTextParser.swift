internal import ArtifactFormats

/// Reads LightGBM's text model (`Booster.save_model`) into a `TreeEnsemble`.
///
/// The format: a header of `key=value` lines (first line `tree`), then one block per tree starting
/// with `Tree=<i>` and made of `key=value` lines whose values are space-separated arrays, then
/// `end of trees`; whatever follows (feature importances, parameters) is not needed for prediction.
///
/// The parser works on the raw bytes (no String per value, numbers read in place) and checks everything the
/// evaluator relies on, so a damaged or hostile file is an `ArtifactError`, never a trap or an
/// endless walk: array lengths, child indices (in range and pointing forward, as LightGBM writes
/// them), feature indices, decision types, category bitset ranges, and the final `end of trees`.
struct LightGBMTextParser {
    /// Names the file in errors.
    let file: String

    func parse(_ bytes: [UInt8]) throws(ArtifactError) -> TreeEnsemble {
        guard !bytes.isEmpty else { throw malformed("empty file") }
        return try bytes.withUnsafeBufferPointer { buffer throws(ArtifactError) in
            var reader = ByteLines(buffer)
            let header = try readHeader(&reader)
            var builder = EnsembleBuilder(maxFeatureIndex: header.maxFeatureIndex)
            try readTrees(&reader, into: &builder)
            if let declared = header.declaredTreeCount, declared != builder.roots.count {
                throw malformed("tree_sizes lists \(declared) trees, the file has \(builder.roots.count)")
            }
            return TreeEnsemble(nodes: builder.nodes, leafValues: builder.leafValues, roots: builder.roots,
                                categoryBits: builder.categoryBits, featureCount: header.maxFeatureIndex + 1)
        }
    }

    // MARK: Header

    private struct Header {
        var maxFeatureIndex: Int
        var declaredTreeCount: Int?
    }

    /// Reads up to (not including) the first `Tree=` line.
    private func readHeader(_ reader: inout ByteLines) throws(ArtifactError) -> Header {
        guard let first = reader.nextNonEmptyLine() else { throw malformed("empty file") }
        guard reader.equals(first, "tree") else {
            throw malformed("not a LightGBM text model: first line is \(reader.quoted(first)), expected \"tree\"")
        }
        var numClass: Int?
        var treesPerIteration: Int?
        var maxFeatureIndex: Int?
        var version: Range<Int>?
        var objective: Range<Int>?
        var averagesOutput = false
        var declaredTreeCount: Int?
        while true {
            let mark = reader.position
            guard let line = reader.nextNonEmptyLine() else {
                throw malformed("no Tree= section (the file ends after the header)")
            }
            if reader.starts(line, with: "Tree=") || reader.equals(line, "end of trees") {
                reader.position = mark
                break
            }
            let (key, value) = reader.split(line)
            switch reader.text(key) {
            case "version":
                version = value
            case "num_class":
                numClass = try headerInt(value, "num_class", reader)
            case "num_tree_per_iteration":
                treesPerIteration = try headerInt(value, "num_tree_per_iteration", reader)
            case "max_feature_idx":
                maxFeatureIndex = try headerInt(value, "max_feature_idx", reader)
            case "average_output":
                averagesOutput = true
            case "tree_sizes":
                declaredTreeCount = reader.tokenCount(value)
            case "objective":
                objective = value
            default:
                break  // feature_names, feature_infos, label_index, ...: not needed to predict
            }
        }
        // Judged only once the header is complete, so a file cut inside it reads as truncated.
        if let version, !["v2", "v3", "v4"].contains(reader.text(version)) {
            throw ArtifactError(file: file, .unsupported("model format version \(reader.quoted(version)); this reader knows v2 to v4"))
        }
        if let objective, reader.starts(objective, with: "multiclass") {
            throw ArtifactError(file: file, .unsupported("objective \(reader.quoted(objective)); only single-output models are supported"))
        }
        if averagesOutput {
            // LightGBM's raw score of a random forest is the sum of its trees while its prediction
            // is their mean; refusing is safer than handing out a score N times the prediction.
            throw ArtifactError(file: file, .unsupported(
                "average_output (boosting=rf): LightGBM's raw score is the sum of the trees but its prediction is their mean"))
        }
        guard let numClass else { throw malformed("header has no num_class") }
        guard numClass == 1 else {
            throw ArtifactError(file: file, .unsupported("num_class=\(numClass) (multiclass); only single-output models are supported"))
        }
        let perIteration = treesPerIteration ?? numClass
        guard perIteration == 1 else {
            throw ArtifactError(file: file, .unsupported("num_tree_per_iteration=\(perIteration); only one tree per iteration is supported"))
        }
        guard let maxFeatureIndex else { throw malformed("header has no max_feature_idx") }
        guard maxFeatureIndex >= 0, maxFeatureIndex < Int(Int32.max) else {
            throw malformed("max_feature_idx=\(maxFeatureIndex) is out of range")
        }
        return Header(maxFeatureIndex: maxFeatureIndex, declaredTreeCount: declaredTreeCount)
    }

    private func headerInt(_ value: Range<Int>, _ key: String, _ reader: ByteLines) throws(ArtifactError) -> Int {
        guard let number = reader.integer(value) else { throw malformed("header \(key)=\(reader.quoted(value)) is not an integer") }
        return number
    }

    // MARK: Trees

    /// Reads the `Tree=` blocks up to `end of trees`.
    private func readTrees(_ reader: inout ByteLines, into builder: inout EnsembleBuilder) throws(ArtifactError) {
        var scratch = Scratch()
        var index = 0
        while true {
            guard let line = reader.nextNonEmptyLine() else {
                let after = index == 0 ? "the header" : "Tree=\(index - 1)"
                throw malformed("truncated: no \"end of trees\" after \(after)")
            }
            if reader.equals(line, "end of trees") { break }
            guard reader.starts(line, with: "Tree=") else {
                throw malformed("expected Tree=\(index) or \"end of trees\", found \(reader.quoted(line))")
            }
            let number = line.lowerBound + 5..<line.upperBound
            guard reader.integer(number) == index else {
                throw malformed("expected Tree=\(index), found \(reader.quoted(line))")
            }
            let fields = try treeFields(&reader, tree: index)
            try TreeReader(file: file, tree: index, fields: fields).read(reader, &scratch, into: &builder)
            index += 1
        }
        guard index > 0 else { throw malformed("no Tree= section before \"end of trees\"") }
    }

    /// The `key=value` lines of one tree block, up to the blank line that ends it.
    private func treeFields(_ reader: inout ByteLines, tree: Int) throws(ArtifactError) -> TreeFields {
        var fields = TreeFields()
        while true {
            let mark = reader.position
            guard let line = reader.nextLine(), !line.isEmpty else { break }
            // A block always ends with a blank line; stop at the next block anyway rather than
            // reading it as this tree's fields.
            if reader.starts(line, with: "Tree=") || reader.equals(line, "end of trees") {
                reader.position = mark
                break
            }
            let (key, value) = reader.split(line)
            guard key.upperBound < line.upperBound else {
                throw malformed("Tree=\(tree): line \(reader.quoted(line)) is not key=value")
            }
            fields.record(reader.text(key), value)
        }
        return fields
    }

    private func malformed(_ problem: String) -> ArtifactError {
        ArtifactError(file: file, .malformed(problem))
    }
}

/// Where one tree's values are in the buffer; keys LightGBM writes but prediction does not use
/// (split_gain, leaf_weight, counts, internal values, shrinkage) are skipped unparsed.
private struct TreeFields {
    var numLeaves: Range<Int>?
    var numCat: Range<Int>?
    var splitFeature: Range<Int>?
    var threshold: Range<Int>?
    var decisionType: Range<Int>?
    var leftChild: Range<Int>?
    var rightChild: Range<Int>?
    var leafValue: Range<Int>?
    var catBoundaries: Range<Int>?
    var catThreshold: Range<Int>?
    var isLinear: Range<Int>?

    mutating func record(_ key: String, _ value: Range<Int>) {
        switch key {
        case "num_leaves": numLeaves = value
        case "num_cat": numCat = value
        case "split_feature": splitFeature = value
        case "threshold": threshold = value
        case "decision_type": decisionType = value
        case "left_child": leftChild = value
        case "right_child": rightChild = value
        case "leaf_value": leafValue = value
        case "cat_boundaries": catBoundaries = value
        case "cat_threshold": catThreshold = value
        case "is_linear": isLinear = value
        default: break
        }
    }
}

/// Reusable per-tree arrays, so parsing allocates per model, not per tree.
private struct Scratch {
    var splitFeature: [Int] = []
    var threshold: [Double] = []
    var decisionType: [Int] = []
    var leftChild: [Int] = []
    var rightChild: [Int] = []
    var catBoundaries: [Int] = []
    var catThreshold: [Int] = []
}

/// The flat arrays being filled, tree after tree.
private struct EnsembleBuilder {
    let maxFeatureIndex: Int
    var nodes: [TreeEnsemble.Node] = []
    var leafValues: [Double] = []
    var roots: [Int32] = []
    var categoryBits: [UInt32] = []
}

/// Checks one tree's arrays and appends it to the builder.
private struct TreeReader {
    let file: String
    let tree: Int
    let fields: TreeFields

    func read(_ reader: ByteLines, _ scratch: inout Scratch, into builder: inout EnsembleBuilder) throws(ArtifactError) {
        let numLeaves = try count("num_leaves", fields.numLeaves, reader)
        let numCat = try count("num_cat", fields.numCat, reader)
        guard numLeaves >= 1 else { throw malformed("num_leaves=\(numLeaves), expected at least 1") }
        if let isLinear = fields.isLinear {
            guard let flag = reader.integer(isLinear) else { throw malformed("is_linear=\(reader.quoted(isLinear)) is not 0 or 1") }
            guard flag == 0 else {
                throw ArtifactError(file: file, .unsupported("Tree=\(tree): linear trees (is_linear=\(flag)) are not supported"))
            }
        }
        let internalCount = numLeaves - 1
        let leafBase = builder.leafValues.count
        let nodeBase = builder.nodes.count
        // Global indices are Int32 (LightGBM's own child type); a model past that is not a real one.
        guard leafBase + numLeaves < Int(Int32.max), nodeBase + internalCount < Int(Int32.max) else {
            throw ArtifactError(file: file, .unsupported("Tree=\(tree): the model has more than 2^31 nodes"))
        }

        let leafCount = try doubles("leaf_value", fields.leafValue, reader, into: &builder.leafValues)
        guard leafCount == numLeaves else {
            throw malformed("leaf_value has \(leafCount) values, expected \(numLeaves)")
        }
        guard internalCount > 0 else {
            // LightGBM reads nothing else of a single-leaf tree: it predicts leaf_value[0].
            builder.roots.append(~Int32(leafBase))
            return
        }

        try integers("split_feature", fields.splitFeature, reader, into: &scratch.splitFeature, expected: internalCount)
        try integers("left_child", fields.leftChild, reader, into: &scratch.leftChild, expected: internalCount)
        try integers("right_child", fields.rightChild, reader, into: &scratch.rightChild, expected: internalCount)
        scratch.threshold.removeAll(keepingCapacity: true)
        let thresholdCount = try doubles("threshold", fields.threshold, reader, into: &scratch.threshold)
        guard thresholdCount == internalCount else {
            throw malformed("threshold has \(thresholdCount) values, expected \(internalCount)")
        }
        if fields.decisionType != nil {
            try integers("decision_type", fields.decisionType, reader, into: &scratch.decisionType, expected: internalCount)
        } else {
            scratch.decisionType = Array(repeating: 0, count: internalCount)  // LightGBM's default
        }

        // Categorical bitsets: split k owns cat_threshold[cat_boundaries[k] ..< cat_boundaries[k + 1]].
        let bitsBase = builder.categoryBits.count
        if numCat > 0 {
            try integers("cat_boundaries", fields.catBoundaries, reader, into: &scratch.catBoundaries, expected: numCat + 1)
            guard let last = scratch.catBoundaries.last else { throw malformed("cat_boundaries is empty") }
            try integers("cat_threshold", fields.catThreshold, reader, into: &scratch.catThreshold, expected: last)
            var previous = 0
            for boundary in scratch.catBoundaries {
                guard boundary >= previous else {
                    throw malformed("cat_boundaries are not increasing (\(previous) then \(boundary))")
                }
                previous = boundary
            }
            for word in scratch.catThreshold {
                guard let bits = UInt32(exactly: word) else {
                    throw malformed("cat_threshold value \(word) is not a 32-bit word")
                }
                builder.categoryBits.append(bits)
            }
        } else {
            scratch.catBoundaries.removeAll(keepingCapacity: true)
        }

        for node in 0..<internalCount {
            builder.nodes.append(try makeNode(node, scratch, numLeaves: numLeaves, numCat: numCat,
                                              nodeBase: nodeBase, leafBase: leafBase, bitsBase: bitsBase,
                                              maxFeatureIndex: builder.maxFeatureIndex))
        }
        builder.roots.append(Int32(nodeBase))
    }

    private func makeNode(_ node: Int, _ scratch: Scratch, numLeaves: Int, numCat: Int,
                          nodeBase: Int, leafBase: Int, bitsBase: Int, maxFeatureIndex: Int) throws(ArtifactError) -> TreeEnsemble.Node {
        let feature = scratch.splitFeature[node]
        guard feature >= 0, feature <= maxFeatureIndex else {
            throw malformed("split_feature \(feature) of node \(node) is outside 0...max_feature_idx (\(maxFeatureIndex))")
        }
        let left = try child(scratch.leftChild[node], "left_child", of: node, numLeaves: numLeaves, nodeBase: nodeBase, leafBase: leafBase)
        let right = try child(scratch.rightChild[node], "right_child", of: node, numLeaves: numLeaves, nodeBase: nodeBase, leafBase: leafBase)

        let decisionType = scratch.decisionType[node]
        guard (0...15).contains(decisionType) else {
            throw malformed("decision_type \(decisionType) of node \(node) is not one LightGBM writes (0 to 15)")
        }
        let categorical = decisionType & 1 != 0
        let defaultLeft = decisionType & 2 != 0
        let missingType = (decisionType >> 2) & 3
        let threshold = scratch.threshold[node]
        var rule: TreeEnsemble.Rule
        var bitsetStart = 0
        var bitsetWords = 0
        if categorical {
            // The threshold of a categorical split is the index of its bitset.
            guard numCat > 0 else { throw malformed("node \(node) is categorical but num_cat=0") }
            guard threshold >= 0, threshold < Double(numCat), threshold == threshold.rounded(.towardZero) else {
                throw malformed("categorical node \(node) has threshold \(threshold), expected a bitset index below num_cat=\(numCat)")
            }
            let bitset = Int(threshold)
            bitsetStart = bitsBase + scratch.catBoundaries[bitset]
            bitsetWords = scratch.catBoundaries[bitset + 1] - scratch.catBoundaries[bitset]
            rule = .categorical
        } else {
            switch missingType {
            case 0: rule = .numerical
            case 1: rule = .numericalZeroMissing
            case 2: rule = .numericalNaNMissing
            default: throw malformed("decision_type \(decisionType) of node \(node) has missing type 3, which LightGBM does not define")
            }
        }
        guard let start = Int32(exactly: bitsetStart), let words = Int32(exactly: bitsetWords) else {
            throw ArtifactError(file: file, .unsupported("Tree=\(tree): category bitsets past 2^31 words"))
        }
        return TreeEnsemble.Node(threshold: threshold, left: left, right: right, feature: Int32(feature),
                                 bitsetStart: start, bitsetWords: words, rule: rule, defaultLeft: defaultLeft)
    }

    /// A child in the global encoding. Internal children must come after their parent (LightGBM's
    /// `Split` always appends the new node), which is what guarantees every walk reaches a leaf.
    private func child(_ value: Int, _ key: String, of node: Int, numLeaves: Int, nodeBase: Int, leafBase: Int) throws(ArtifactError) -> Int32 {
        if value >= 0 {
            guard value > node, value < numLeaves - 1 else {
                throw malformed("\(key) of node \(node) is node \(value), expected a node in \(node + 1)..<\(numLeaves - 1)")
            }
            return Int32(nodeBase + value)
        }
        let leaf = ~value
        guard leaf < numLeaves else {
            throw malformed("\(key) of node \(node) is leaf \(leaf) (\(value)), but the tree has \(numLeaves) leaves")
        }
        return ~Int32(leafBase + leaf)
    }

    private func count(_ key: String, _ value: Range<Int>?, _ reader: ByteLines) throws(ArtifactError) -> Int {
        guard let value else { throw malformed("no \(key)") }
        guard let number = reader.integer(value), number >= 0 else {
            throw malformed("\(key)=\(reader.quoted(value)) is not a count")
        }
        return number
    }

    /// Parses the space-separated integers of `key` into `values` and checks how many there are.
    private func integers(_ key: String, _ range: Range<Int>?, _ reader: ByteLines,
                          into values: inout [Int], expected: Int) throws(ArtifactError) {
        guard let range else { throw malformed("no \(key)") }
        values.removeAll(keepingCapacity: true)
        var tokens = reader.tokens(range)
        while let token = tokens.next() {
            guard let number = reader.integer(token) else {
                throw malformed("\(key) value \(reader.quoted(token)) is not an integer")
            }
            values.append(number)
        }
        guard values.count == expected else {
            throw malformed("\(key) has \(values.count) values, expected \(expected)")
        }
    }

    /// Appends the space-separated numbers of `key` to `values`; returns how many were appended.
    private func doubles(_ key: String, _ range: Range<Int>?, _ reader: ByteLines,
                         into values: inout [Double]) throws(ArtifactError) -> Int {
        guard let range else { throw malformed("no \(key)") }
        let before = values.count
        var tokens = reader.tokens(range)
        while let token = tokens.next() {
            guard let number = reader.double(token) else {
                throw malformed("\(key) value \(reader.quoted(token)) is not a number")
            }
            values.append(number)
        }
        return values.count - before
    }

    private func malformed(_ problem: String) -> ArtifactError {
        ArtifactError(file: file, .malformed("Tree=\(tree): \(problem)"))
    }
}

