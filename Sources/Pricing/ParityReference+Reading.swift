import ArtifactFormats

/// golden.json's sweeps read with ``JSONScanner``: the file is mostly the inference tests' reference
/// rows, which are skipped without being parsed, and the sweeps' few thousand numbers are read in
/// place. JSONDecoder spent about 8 ms of CPU here, on the first load's critical path.
extension ParityCheck.Reference {
    /// A member's value as far as the reference needs to tell them apart.
    private enum Value {
        case number(Double), string(String), bool(Bool), numbers([Double]), object([String: Value]), array([Value]), null
    }

    init(golden bytes: [UInt8], file: String) throws(ArtifactError) {
        var sweeps: [Sweep]?
        try bytes.withUnsafeBufferPointer { buffer throws(ArtifactError) in
            var scanner = JSONScanner(buffer, file: file)
            try scanner.object { scanner, key throws(ArtifactError) in
                guard key == "sweeps" else { return try scanner.skipValue() }
                guard case .array(let items) = try Self.value(&scanner) else { throw scanner.malformed("\"sweeps\" is not an array") }
                var read: [Sweep] = []
                for (i, item) in items.enumerated() { read.append(try Self.sweep(item, at: "sweeps[\(i)]", file: file)) }
                sweeps = read
            }
            try scanner.end()
        }
        guard let sweeps else { throw ArtifactError(file: file, .malformed("no \"sweeps\"")) }
        self.init(sweeps: sweeps)
    }

    private static func value(_ scanner: inout JSONScanner) throws(ArtifactError) -> Value {
        let first = try scanner.peekByte()
        // Arrays of numbers are the bulk: read them without a Value per element.
        if first == UInt8(ascii: "[") {
            var probe = scanner
            if let numbers = try? numbers(&probe) {
                scanner = probe
                return .numbers(numbers)
            }
        }
        switch first {
        case UInt8(ascii: "{"):
            var members: [String: Value] = [:]
            try scanner.object { scanner, key throws(ArtifactError) in members[key] = try value(&scanner) }
            return .object(members)
        case UInt8(ascii: "["):
            var items: [Value] = []
            try scanner.array { scanner throws(ArtifactError) in items.append(try value(&scanner)) }
            return .array(items)
        case UInt8(ascii: "\""): return .string(try scanner.string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try scanner.bool())
        case UInt8(ascii: "n"):
            try scanner.skipValue()
            return .null
        default: return .number(try scanner.double())
        }
    }

    private static func numbers(_ scanner: inout JSONScanner) throws(ArtifactError) -> [Double] {
        var out: [Double] = []
        try scanner.array { scanner throws(ArtifactError) in out.append(try scanner.double()) }
        return out
    }

    private static func sweep(_ value: Value, at place: String, file: String) throws(ArtifactError) -> Sweep {
        let fields = Fields(value, place: place, file: file)
        var models: [String: Sweep.Model] = [:]
        for (name, model) in try fields.object("models") {
            let m = Fields(model, place: "\(place).models.\(name)", file: file)
            models[name] = Sweep.Model(
                baseline: try m.number("baseline"), quantity: try m.numbers("quantity"), quantityMin: try m.numbers("quantity_min"),
                quantityMax: try m.numbers("quantity_max"), quantityP10: try m.numbers("quantity_p10"),
                quantityP90: try m.numbers("quantity_p90"), sales: try m.numbers("sales"), salesP10: try m.numbers("sales_p10"),
                salesP90: try m.numbers("sales_p90"))
        }
        let d = Fields(.object(try fields.object("decision")), place: "\(place).decision", file: file)
        let decision = Sweep.Decision(
            currentPrice: try d.number("current_price"), searchMin: try d.number("search_min"), searchMax: try d.number("search_max"),
            bestPrice: try d.number("best_price"), optimalUnitPrice: try d.number("optimal_unit_price"),
            decision: try d.string("decision"), reason: try d.string("reason"), expectedGain: try d.number("expected_gain"),
            expectedGainPct: try d.number("expected_gain_pct"), gainP10: try d.number("gain_p10"), gainP90: try d.number("gain_p90"),
            probabilityOfGain: try d.number("probability_of_gain"), bestPriceP10: try d.number("best_price_p10"),
            bestPriceP90: try d.number("best_price_p90"), elasticity: try d.number("elasticity"),
            elasticityP10: try d.number("elasticity_p10"), elasticityP90: try d.number("elasticity_p90"),
            outsideSupport: try d.bool("outside_support"))
        let rows = try fields.number("context_rows")
        guard rows == rows.rounded(), rows >= 0, rows < 1e9 else { throw fields.bad("context_rows", "a whole number") }
        return Sweep(stockcode: try fields.string("stockcode"), prices: try fields.numbers("prices"), contextRows: Int(rows),
                     models: models, decision: decision)
    }

    /// An object's members, with errors that name the file, the place and the member.
    private struct Fields {
        let members: [String: Value]
        let place: String
        let file: String

        init(_ value: Value, place: String, file: String) {
            if case .object(let members) = value { self.members = members } else { self.members = [:] }
            self.place = place
            self.file = file
        }

        func bad(_ key: String, _ expected: String) -> ArtifactError {
            ArtifactError(file: file, .malformed("\(place).\(key) is missing or not \(expected)"))
        }
        func number(_ key: String) throws(ArtifactError) -> Double {
            guard case .number(let v) = members[key] else { throw bad(key, "a number") }
            return v
        }
        func numbers(_ key: String) throws(ArtifactError) -> [Double] {
            switch members[key] {
            case .numbers(let v): return v
            case .array(let items) where items.isEmpty: return []
            default: throw bad(key, "an array of numbers")
            }
        }
        func string(_ key: String) throws(ArtifactError) -> String {
            guard case .string(let v) = members[key] else { throw bad(key, "a string") }
            return v
        }
        func bool(_ key: String) throws(ArtifactError) -> Bool {
            guard case .bool(let v) = members[key] else { throw bad(key, "true or false") }
            return v
        }
        func object(_ key: String) throws(ArtifactError) -> [String: Value] {
            guard case .object(let v) = members[key] else { throw bad(key, "an object") }
            return v
        }
    }
}
