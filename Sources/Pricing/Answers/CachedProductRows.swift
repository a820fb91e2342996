import ArtifactFormats

/// A product's context rows as the cache stores them, so that a replica that has not yet
/// decompressed the product's feature shard (a fresh one, or one that just swapped versions) takes
/// them from the shared cache instead: magic, version, stockcode, the column names' CRC (a
/// fingerprint of the schema, not an integrity check), row and column counts, then the float32 values
/// little-endian (4 bytes per value: a few hundred bytes for a product's recent weeks). Integrity is
/// the Cache module's `ValueSeal` (HMAC over key and value, checked before this decoder runs). Anything
/// that does not check out decodes to nil and the shard is read as usual.
struct CachedProductRows: Equatable {
    let modelVersion: String
    let stockcode: String
    let matrix: ContextMatrix

    /// v2: no CRC of the values (the seal covers them); a v1 value is never read as one.
    static let magic: [UInt8] = Array("PRv2".utf8)

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes.reserveCapacity(64 + 4 * matrix.values.count)
        w.bytes += Self.magic
        w.string(modelVersion)
        w.string(stockcode)
        w.u32(Self.columnsCRC(matrix.columns))
        w.u32(UInt32(matrix.count))
        w.u32(UInt32(matrix.columns.count))
        for v in matrix.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { w.bytes += $0 } }
        return w.bytes
    }

    init(modelVersion: String, stockcode: String, matrix: ContextMatrix) {
        self.modelVersion = modelVersion
        self.stockcode = stockcode
        self.matrix = matrix
    }

    /// Decodes a value stored for `stockcode` of `modelVersion` whose columns are `columns`.
    init?(decoding bytes: [UInt8], modelVersion: String, stockcode: String, columns: [String]) {
        var r = ByteReader(bytes: bytes)
        guard r.take(4) == Self.magic, r.string() == modelVersion, r.string() == stockcode, r.u32() == Self.columnsCRC(columns),
              let rows = r.u32(), rows <= 1_000_000, let width = r.u32(), Int(width) == columns.count,
              r.remaining == Int(rows) * Int(width) * 4, let body = r.take(r.remaining) else { return nil }
        var values = [Float](repeating: 0, count: Int(rows) * Int(width))
        values.withUnsafeMutableBytes { destination in
            body.withUnsafeBytes { destination.copyMemory(from: $0) }
        }
        // The values were written little-endian; on a big-endian host they would need swapping.
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        self.modelVersion = modelVersion
        self.stockcode = stockcode
        self.matrix = ContextMatrix(columns: columns, values: values, count: Int(rows))
    }

    static func columnsCRC(_ columns: [String]) -> UInt32 { Gzip.crc32(Array(columns.joined(separator: "\u{1F}").utf8)) }
}
