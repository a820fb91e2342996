import Foundation
import Synchronization

/// Historical unit-price statistics of one product.
public struct PriceStats: Decodable, Sendable, Equatable {
    public let min: Double
    public let p10: Double
    public let median: Double
    public let mean: Double
    public let p90: Double
    public let max: Double
    public let last: Double
}

/// One product of the feature store index.
public struct ProductRecord: Decodable, Sendable {
    public let stockcode: String
    public let description: String
    public let lines: Int
    public let price: PriceStats
    public let firstSold: String
    public let lastSold: String
    public let shard: Int
    public let rowOffset: Int
    public let rowCount: Int
}

/// A product's context rows: `count` rows of `columns.count` floats, row-major.
public struct ContextMatrix: Sendable, Equatable {
    public let columns: [String]
    public let values: [Float]
    public let count: Int

    public init(columns: [String], values: [Float], count: Int) {
        self.columns = columns
        self.values = values
        self.count = count
    }
}

/// The feature store of a version: the product index, and context rows decompressed one shard at a
/// time on first use (a request touches one small shard, never the whole store).
public final class FeatureStore: Sendable {
    public let columns: [String]
    /// Products sorted by stockcode.
    public let products: [ProductRecord]
    private let byCode: [String: Int]
    private let shardFiles: [String]
    private let compressedShards: [[UInt8]]
    private let shards: Mutex<[Int: [Float]]>

    /// Reads the index the manifest's `spec` names and keeps the compressed shards; `bytes` gives a
    /// file of the version by name, already verified (Storage's `init(folder:)` reads a version folder).
    public init(spec: Manifest.FeatureStore, bytes: (String) throws(ArtifactError) -> [UInt8]) throws(ArtifactError) {
        let index = try Self.readIndex(try bytes(spec.index), spec: spec)
        var files: [String] = []
        var compressed: [[UInt8]] = []
        for i in 0..<spec.shards {
            let name = Self.shardName(pattern: spec.shardPattern, index: i)
            files.append(name)
            compressed.append(try bytes(name))
        }
        self.columns = index.columns
        self.products = index.products
        self.byCode = index.byCode
        self.shardFiles = files
        self.compressedShards = compressed
        self.shards = Mutex([:])
    }

    /// The index entry of `stockcode`, or nil for an unknown product.
    public func product(_ stockcode: String) -> ProductRecord? {
        byCode[stockcode].map { products[$0] }
    }

    /// The position of `stockcode` in `products` (the row of its per-product tables), or nil.
    public func index(of stockcode: String) -> Int? { byCode[stockcode] }

    /// Whether the product's shard is already decompressed here (its rows cost nothing to read).
    public func hasRowsInMemory(_ stockcode: String) -> Bool {
        guard let product = product(stockcode) else { return false }
        return shards.withLock { $0[product.shard] != nil }
    }

    /// The product's context rows, or nil for an unknown product.
    public func contextRows(for stockcode: String) throws(ArtifactError) -> ContextMatrix? {
        guard let product = product(stockcode) else { return nil }
        let rows = try shard(product.shard)
        let width = columns.count
        let total = rows.count / width
        guard product.rowCount <= total, product.rowOffset <= total - product.rowCount else {
            throw ArtifactError(file: shardFiles[product.shard], .malformed(
                "product \(stockcode) needs rows \(product.rowOffset)..<\(product.rowOffset + product.rowCount), shard has \(total)"))
        }
        let slice = rows[(product.rowOffset * width)..<((product.rowOffset + product.rowCount) * width)]
        return ContextMatrix(columns: columns, values: Array(slice), count: product.rowCount)
    }

    private func shard(_ i: Int) throws(ArtifactError) -> [Float] {
        if let cached = shards.withLock({ $0[i] }) { return cached }
        let values = try Self.readShard(compressedShards[i], file: shardFiles[i], width: columns.count)
        // Two requests may decompress the same shard at once; both results are identical.
        shards.withLock { $0[i] = values }
        return values
    }

    /// The index file's contents, checked against the manifest's `spec`.
    struct Index {
        let columns: [String]
        let products: [ProductRecord]
        /// Position in `products` by stockcode.
        let byCode: [String: Int]
    }

    /// Inflates and checks the index (`spec.index`): its columns and shard count are the manifest's,
    /// and every product's rows lie in a shard. Apart from `init` so it can be tested without a folder.
    static func readIndex(_ compressed: [UInt8], spec: Manifest.FeatureStore) throws(ArtifactError) -> Index {
        let indexBytes = try Gzip.decompress(compressed, file: spec.index)
        let index = try FeatureStoreIndex(json: indexBytes, file: spec.index)
        guard index.columns == spec.columns, index.shards == spec.shards, spec.shards > 0, spec.shards <= 100_000 else {
            throw ArtifactError(file: spec.index, .malformed("columns or shard count differ from the manifest"))
        }
        var byCode: [String: Int] = [:]
        for (i, p) in index.products.enumerated() {
            guard p.shard >= 0, p.shard < spec.shards, p.rowOffset >= 0, p.rowCount >= 0, p.rowCount <= 1_000_000,
                  p.rowOffset <= Int(Int32.max) else {
                throw ArtifactError(file: spec.index, .malformed("product \(p.stockcode) points outside the shards"))
            }
            byCode[p.stockcode] = i
        }
        return Index(columns: index.columns, products: index.products, byCode: byCode)
    }

    /// Inflates one shard `file` and reads its `rows` tensor, `width` floats per row.
    static func readShard(_ compressed: [UInt8], file: String, width: Int) throws(ArtifactError) -> [Float] {
        let tensors = try SafeTensors(bytes: try Gzip.decompress(compressed, file: file), file: file)
        let info = try tensors.tensor("rows", dtype: .f32)
        guard info.shape.count == 2, info.shape[1] == width else {
            throw ArtifactError(file: file, .malformed("rows has shape \(info.shape), expected [n, \(width)]"))
        }
        return try tensors.floats("rows")
    }

    static func shardName(pattern: String, index: Int) -> String {
        let number = String(index)
        let padded = String(repeating: "0", count: max(0, 3 - number.count)) + number
        return pattern.replacingOccurrences(of: "{shard:03d}", with: padded)
    }
}
