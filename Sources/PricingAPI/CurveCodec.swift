public import Pricing
import Storage

/// What the predict-price cache stores: the answer's metadata and its JSON array, gzip-compressed
/// (about 7 KB for 100 prices; every row repeats the decision, which compresses well), with a CRC-32
/// of the compressed bytes. A hit is one lookup; clients that accept gzip get the stored bytes as they
/// are. Decoding checks every length and the CRC: a truncated, altered or foreign value decodes to nil
/// and is ignored.
public struct CachedCurve: Sendable, Equatable {
    public let modelVersion: String
    public let model: String
    public let stockcode: String
    public let skippedModels: [String]
    public let rows: Int
    /// The JSON array of rows, gzip-compressed.
    public let gzippedJSON: [UInt8]

    /// v4: rows carry the price decision (format-2 versions); a v3 value is never read as one.
    static let magic: [UInt8] = Array("PCv4".utf8)

    public init(_ curve: PriceCurve) {
        modelVersion = curve.modelVersion
        model = curve.model
        stockcode = curve.stockcode
        skippedModels = curve.skippedModels
        rows = curve.points.count
        gzippedJSON = Gzip.compress(CurveJSON.array(curve))
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes += Self.magic
        for s in [modelVersion, model, stockcode] { w.string(s) }
        w.u32(UInt32(skippedModels.count))
        for s in skippedModels { w.string(s) }
        w.u32(UInt32(rows))
        w.u32(Gzip.crc32(gzippedJSON))
        w.u32(UInt32(gzippedJSON.count))
        w.bytes += gzippedJSON
        return w.bytes
    }

    public init?(decoding bytes: [UInt8]) {
        var r = ByteReader(bytes: bytes)
        guard r.take(4) == Self.magic, let version = r.string(), let model = r.string(), let stockcode = r.string(),
              let skippedCount = r.u32(), skippedCount <= 16 else { return nil }
        var skipped: [String] = []
        for _ in 0..<skippedCount {
            guard let s = r.string() else { return nil }
            skipped.append(s)
        }
        guard let rows = r.u32(), rows >= 1, rows <= 1000, let crc = r.u32(), let length = r.u32(), Int(length) == r.remaining,
              let body = r.take(Int(length)), Gzip.crc32(body) == crc else { return nil }
        modelVersion = version
        self.model = model
        self.stockcode = stockcode
        skippedModels = skipped
        self.rows = Int(rows)
        gzippedJSON = body
    }

    /// The JSON array, or nil if the stored bytes do not inflate.
    public func jsonArray() -> [UInt8]? {
        try? Gzip.decompress(gzippedJSON, file: "cache value", sizeHint: 1280 * rows)
    }

    /// The rows as NDJSON: the array's objects one per line. Rows are flat objects, so the only
    /// `},{` sequences are the boundaries between them (stockcodes are catalogue codes).
    public func ndjson() -> [UInt8]? {
        guard let json = jsonArray(), json.count >= 2, json.first == UInt8(ascii: "["), json.last == UInt8(ascii: "]") else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var i = 1
        while i < json.count - 1 {
            if json[i] == UInt8(ascii: "}"), json[i + 1] == UInt8(ascii: ","), i + 2 < json.count, json[i + 2] == UInt8(ascii: "{") {
                out.append(UInt8(ascii: "}"))
                out.append(UInt8(ascii: "\n"))
                i += 2
            } else {
                out.append(json[i])
                i += 1
            }
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(65_535))
        u32(UInt32(utf8.count))
        bytes += utf8
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, remaining >= n else { return nil }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
    mutating func u32() -> UInt32? {
        guard let b = take(4) else { return nil }
        return b.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
    mutating func string() -> String? {
        guard let n = u32(), n <= 65_535, let b = take(Int(n)) else { return nil }
        return String(validating: b, as: UTF8.self)
    }
}
