public import Pricing

/// What the predict-price cache stores: the answer's metadata and its rows already rendered as
/// NDJSON lines, so a hit is one lookup plus one pass over bytes (a JSON array is the same lines
/// joined by commas). Decoding checks every length: a truncated or foreign value decodes to nil and
/// is ignored.
public struct CachedCurve: Sendable, Equatable {
    public let modelVersion: String
    public let model: String
    public let stockcode: String
    public let skippedModels: [String]
    public let rows: Int
    /// One JSON object per line, each ending in "\n".
    public let ndjson: [UInt8]

    static let magic: [UInt8] = Array("PCv2".utf8)

    public init(_ curve: PriceCurve) {
        modelVersion = curve.modelVersion
        model = curve.model
        stockcode = curve.stockcode
        skippedModels = curve.skippedModels
        rows = curve.points.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(270 * curve.points.count)
        for point in curve.points { bytes += CurveJSON.line(point, curve: curve) }
        ndjson = bytes
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes += Self.magic
        for s in [modelVersion, model, stockcode] { w.string(s) }
        w.u32(UInt32(skippedModels.count))
        for s in skippedModels { w.string(s) }
        w.u32(UInt32(rows))
        w.u32(UInt32(ndjson.count))
        w.bytes += ndjson
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
        guard let rows = r.u32(), rows >= 1, rows <= 1000, let length = r.u32(), Int(length) == r.remaining,
              let body = r.take(Int(length)), body.last == UInt8(ascii: "\n"),
              body.reduce(0, { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }) == Int(rows) else { return nil }
        modelVersion = version
        self.model = model
        self.stockcode = stockcode
        skippedModels = skipped
        self.rows = Int(rows)
        ndjson = body
    }

    /// The rows as one JSON array: `[` + lines joined by `,` + `]`. (JSON strings never contain a raw
    /// newline, so every "\n" is a line end.)
    public func jsonArray() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ndjson.count + 1)
        out.withUnsafeMutableBufferPointer { o in
            ndjson.withUnsafeBufferPointer { i in
                o[0] = UInt8(ascii: "[")
                for k in 0..<i.count { o[k + 1] = i[k] == UInt8(ascii: "\n") ? UInt8(ascii: ",") : i[k] }
                o[i.count] = UInt8(ascii: "]")
            }
        }
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
