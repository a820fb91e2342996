/// A retailer's catalogue file (CSV with a header line): `stockcode` and, optionally, `current_price`,
/// `unit_cost`, `floor` and `ceiling`, in any order. Bad lines (no stockcode, a non-number, a negative
/// cost, a floor above the ceiling, a stockcode listed twice, the wrong number of fields) are reported
/// with their line and column and skipped; every good line is kept.
public struct Catalogue: Sendable, Equatable {
    /// The columns a catalogue may have.
    public static let columns = ["stockcode", "current_price", "unit_cost", "floor", "ceiling"]

    public let items: [RepricingItem]
    public let skipped: [SkippedProduct]

    /// A file that cannot be used at all (no header, no stockcode column, an unknown column, broken
    /// quoting); the message names the file, the line and the column.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Parses `bytes`; `file` names the file in errors.
    public init(bytes: [UInt8], file: String) throws(Invalid) {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(bytes)
        } catch {
            throw Invalid(description: "\(file): line \(error.line): \(error.message)")
        }
        let nonBlank = records.filter { !$0.isBlank }
        guard let header = nonBlank.first else {
            throw Invalid(description: "\(file): empty; expected a header line with the columns " + Self.columns.joined(separator: ", "))
        }
        var position: [String: Int] = [:]
        for (i, raw) in header.fields.enumerated() {
            let name = raw.trimmingSpaces().lowercased()
            guard Self.columns.contains(name) else {
                throw Invalid(description: "\(file): line \(header.line), column \(i + 1) (\"\(raw)\"): unknown column; expected "
                              + Self.columns.joined(separator: ", "))
            }
            guard position[name] == nil else {
                throw Invalid(description: "\(file): line \(header.line), column \(i + 1): column \(name) appears twice")
            }
            position[name] = i
        }
        guard let codeColumn = position["stockcode"] else {
            throw Invalid(description: "\(file): line \(header.line): no stockcode column (the header must name it)")
        }
        var items: [RepricingItem] = []
        var skipped: [SkippedProduct] = []
        var seen: [String: Int] = [:]
        for record in nonBlank.dropFirst() {
            let line = record.line
            func skip(_ column: String?, _ message: String) {
                let code = record.fields.indices.contains(codeColumn) ? record.fields[codeColumn].trimmingSpaces() : ""
                skipped.append(SkippedProduct(stockcode: code, line: line, column: column, message: message))
            }
            guard record.fields.count == header.fields.count else {
                skip(nil, "expected \(header.fields.count) fields as in the header, got \(record.fields.count)")
                continue
            }
            let code = record.fields[codeColumn].trimmingSpaces()
            guard !code.isEmpty else { skip("stockcode", "no stockcode"); continue }
            if let first = seen[code] {
                skip("stockcode", "stockcode \(code) is already on line \(first)")
                continue
            }
            var values: [String: Double] = [:]
            var bad = false
            for name in Self.columns.dropFirst() {
                guard let column = position[name] else { continue }
                let text = record.fields[column].trimmingSpaces()
                if text.isEmpty { continue }
                // Double(_:) reads through a C string, so it would stop at a NUL and take "1\0junk" for 1.
                guard !text.utf8.contains(0), let value = Double(text), value.isFinite else {
                    skip(name, "\"\(text)\" is not a number")
                    bad = true
                    break
                }
                let ok = name == "unit_cost" ? value >= 0 && value <= 1_000_000 : value >= ProductTerms.minimumPrice && value <= 1_000_000
                guard ok else {
                    skip(name, name == "unit_cost" ? "unit cost must be from 0 to 1000000, got \(text)" : "\(name) must be from 0.000001 to 1000000, got \(text)")
                    bad = true
                    break
                }
                values[name] = value
            }
            if bad { continue }
            if let floor = values["floor"], let ceiling = values["ceiling"], floor > ceiling {
                skip("floor", "floor \(floor) is above ceiling \(ceiling)")
                continue
            }
            seen[code] = line
            items.append(RepricingItem(stockcode: code, terms: ProductTerms(currentPrice: values["current_price"], unitCost: values["unit_cost"],
                                                                            floor: values["floor"], ceiling: values["ceiling"]), line: line))
        }
        self.items = items
        self.skipped = skipped
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
