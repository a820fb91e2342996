public import Pricing

/// The cached predict-price answer in the API's formats.
extension CachedCurve {
    /// `curve`'s cache entry, its body rendered as the API's JSON array.
    public init(_ curve: PriceCurve) {
        self.init(curve, json: CurveJSON.array(curve))
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
