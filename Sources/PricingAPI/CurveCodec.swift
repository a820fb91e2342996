public import Pricing

/// A price curve as compact bytes for the cache (about 8 doubles per price, ~6.5 KB for 100 prices),
/// decoded with every length checked: a truncated or foreign value decodes to nil and is ignored.
public enum CurveCodec {
    static let magic: [UInt8] = Array("PCv1".utf8)

    public static func encode(_ curve: PriceCurve) -> [UInt8] {
        var w = ByteWriter()
        w.bytes += magic
        for s in [curve.stockcode, curve.description, curve.model, curve.modelVersion] { w.string(s) }
        w.u32(UInt32(curve.skippedModels.count))
        for s in curve.skippedModels { w.string(s) }
        w.u32(UInt32(curve.contextRows))
        let r = curve.recommendation
        w.u32(UInt32(r.index))
        w.bytes.append(r.objective == .sales ? 0 : 1)
        w.bytes.append(r.atRangeEdge == nil ? 0 : r.atRangeEdge == .lower ? 1 : 2)
        w.bytes.append(r.outsideHistoricalPrices ? 1 : 0)
        let profit = curve.points.first?.profit != nil
        w.bytes.append(profit ? 1 : 0)
        w.u32(UInt32(curve.points.count))
        for p in curve.points {
            for v in [p.unitPrice, p.quantity, p.quantityMin, p.quantityMax, p.quantityP10, p.quantityP90, p.sales] { w.f64(v) }
            if profit { w.f64(p.profit ?? .nan) }
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) -> PriceCurve? {
        var r = ByteReader(bytes: bytes)
        guard r.take(4) == magic,
              let stockcode = r.string(), let description = r.string(), let model = r.string(), let version = r.string(),
              let skippedCount = r.u32(), skippedCount <= 16 else { return nil }
        var skipped: [String] = []
        for _ in 0..<skippedCount {
            guard let s = r.string() else { return nil }
            skipped.append(s)
        }
        guard let contextRows = r.u32(), let index = r.u32(), let objective = r.byte(), let edge = r.byte(),
              let outside = r.byte(), let profitFlag = r.byte(), let count = r.u32(),
              objective <= 1, edge <= 2, outside <= 1, profitFlag <= 1, count >= 1, count <= 1000, index < count else { return nil }
        let fields = profitFlag == 1 ? 8 : 7
        guard r.remaining == Int(count) * fields * 8 else { return nil }
        var points: [PricePoint] = []
        points.reserveCapacity(Int(count))
        for _ in 0..<count {
            var v: [Double] = []
            for _ in 0..<fields { v.append(r.f64()!) }
            points.append(PricePoint(unitPrice: v[0], quantity: v[1], quantityMin: v[2], quantityMax: v[3], quantityP10: v[4],
                                     quantityP90: v[5], sales: v[6], profit: profitFlag == 1 ? v[7] : nil))
        }
        let recommendation = Recommendation(
            point: points[Int(index)], index: Int(index), objective: objective == 0 ? .sales : .profit,
            atRangeEdge: edge == 0 ? nil : edge == 1 ? .lower : .upper, outsideHistoricalPrices: outside == 1)
        return PriceCurve(stockcode: stockcode, description: description, points: points, recommendation: recommendation,
                          model: model, skippedModels: skipped, modelVersion: version, contextRows: Int(contextRows))
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
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
    mutating func byte() -> UInt8? { take(1)?[0] }
    mutating func u32() -> UInt32? {
        guard let b = take(4) else { return nil }
        return b.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
    mutating func f64() -> Double? {
        guard let b = take(8) else { return nil }
        return Double(bitPattern: b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }
    mutating func string() -> String? {
        guard let n = u32(), n <= 65_535, let b = take(Int(n)) else { return nil }
        return String(validating: b, as: UTF8.self)
    }
}
