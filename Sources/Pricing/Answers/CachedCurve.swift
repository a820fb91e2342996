import ArtifactFormats

/// What the predict-price cache stores: the answer's metadata, the size of its JSON array (as the HTTP
/// module renders it; see ``PriceAnswers/curve(_:on:renderedBy:readingCache:admit:)``) and the
/// array gzip-compressed (about 7 KB for 100 prices; every row repeats the decision, which compresses
/// well). A hit is one lookup; clients that accept gzip get the stored bytes as they are.
///
/// Integrity is not this format's job: a value kept in Redis is sealed (HMAC over key and value) by the
/// Cache module's `ValueSeal` and reaches this decoder only if the seal verifies; an in-process value
/// never left the process. Decoding still checks every length, and bounds what the body may inflate
/// to by the size recorded beside it (itself bounded by the row count), so even a value that slipped
/// through could not make a replica (or a gzip client) inflate more than a real curve.
public struct CachedCurve: Sendable, Equatable {
    public let modelVersion: String
    public let model: String
    public let stockcode: String
    public let skippedModels: [String]
    public let rows: Int
    /// The JSON array of rows, gzip-compressed.
    public let gzippedJSON: [UInt8]
    /// The JSON array's size: what `gzippedJSON` inflates to, exactly.
    public let jsonBytes: Int

    /// v5: the JSON size recorded, no CRC (the seal does integrity); a v4 value is never read as one.
    static let magic: [UInt8] = Array("PCv5".utf8)
    /// The most one row's JSON may take (a real row is about 1 KB): caps the recorded size.
    static let maxRowJSONBytes = 4096
    static let maxRows = 1000

    /// `curve`'s entry, whose body is `json`: the curve's rows as the JSON array the API sends.
    public init(_ curve: PriceCurve, json: [UInt8]) {
        modelVersion = curve.modelVersion
        model = curve.model
        stockcode = curve.stockcode
        skippedModels = curve.skippedModels
        rows = curve.points.count
        jsonBytes = json.count
        gzippedJSON = Gzip.compress(json)
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes += Self.magic
        for s in [modelVersion, model, stockcode] { w.string(s) }
        w.u32(UInt32(skippedModels.count))
        for s in skippedModels { w.string(s) }
        w.u32(UInt32(rows))
        w.u32(UInt32(jsonBytes))
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
        guard let rows = r.u32(), rows >= 1, rows <= Self.maxRows, let jsonBytes = r.u32(),
              Int(jsonBytes) <= 2 + Int(rows) * Self.maxRowJSONBytes, let length = r.u32(), Int(length) == r.remaining,
              let body = r.take(Int(length)), Self.inflatedSize(body) == jsonBytes else { return nil }
        modelVersion = version
        self.model = model
        self.stockcode = stockcode
        skippedModels = skipped
        self.rows = Int(rows)
        self.jsonBytes = Int(jsonBytes)
        gzippedJSON = body
    }

    /// The JSON array, or nil if the stored bytes do not inflate to exactly the recorded size (they
    /// are never inflated beyond it).
    public func jsonArray() -> [UInt8]? {
        guard let json = try? Gzip.decompress(gzippedJSON, file: "cache value", sizeHint: jsonBytes, maxBytes: jsonBytes),
              json.count == jsonBytes else { return nil }
        return json
    }

    /// The size a single-member gzip stream declares in its trailer (ISIZE, little-endian), which
    /// is what a client inflating the stored body as-is would be told to expect.
    static func inflatedSize(_ gzip: [UInt8]) -> UInt32? {
        // 10-byte header, at least 2 bytes of deflate data, 8-byte trailer; gzip magic 1f 8b.
        guard gzip.count >= 20, gzip[0] == 0x1F, gzip[1] == 0x8B else { return nil }
        let n = gzip.count
        return UInt32(gzip[n - 4]) | UInt32(gzip[n - 3]) << 8 | UInt32(gzip[n - 2]) << 16 | UInt32(gzip[n - 1]) << 24
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
