import ArtifactFormats

/// Reads a submission of sales lines (CSV with a header, or NDJSON) into ``SaleLine``s, one at a
/// time through a line reused for the next. Bad lines are counted and the first of them described
/// (line, field, message); good ones go to the caller. Every ledger implementation reads through
/// here, so they accept and refuse exactly the same lines.
public struct SalesReader {
    /// What reading found, besides the good lines handed over.
    public struct Counts: Sendable, Equatable {
        /// Data lines read (good and bad; the header and blank lines are not counted).
        public var lines = 0
        public var rejected = 0
        /// The first `maxErrors` rejected lines.
        public var errors: [LineError] = []

        public init() {}
    }

    let maxErrors: Int
    var counts = Counts()
    var sale = SaleLine()
    var occurrences = OccurrenceCounter()
    /// The fields an NDJSON line has named so far (kept from line to line).
    var seen = [Bool](repeating: false, count: SalesColumn.allCases.count)

    /// A reader that describes at most `maxErrors` rejected lines (and counts them all).
    public init(maxErrors: Int) {
        self.maxErrors = maxErrors
    }

    /// Reads `bytes` as `format`, calling `accept` with each good line. Throws
    /// ``LedgerError/unreadable(_:)`` when the submission cannot be read at all (empty, no header, a
    /// missing or unknown column); errors `accept` throws stop the reading and are passed on.
    public mutating func read(_ bytes: UnsafeBufferPointer<UInt8>, format: SalesFormat,
                              accept: (borrowing SaleLine) throws(LedgerError) -> Void) throws(LedgerError) -> Counts {
        switch format {
        case .csv: try readCSV(bytes, accept: accept)
        case .ndjson: try readNDJSON(bytes, accept: accept)
        }
        return counts
    }

    mutating func reject(_ line: Int, _ field: String?, _ message: String) {
        counts.rejected += 1
        if counts.errors.count < maxErrors { counts.errors.append(LineError(line: line, field: field, message: message)) }
    }

    /// The line in `sale` is complete: checks it has every required value, numbers it and hands it on.
    mutating func finish(_ line: Int, accept: (borrowing SaleLine) throws(LedgerError) -> Void) throws(LedgerError) {
        if let missing = sale.missingValue() {
            reject(line, missing.column.rawValue, missing.message)
            return
        }
        sale.occurrence = occurrences.next(sale)
        try accept(sale)
    }

    // MARK: CSV

    mutating func readCSV(_ bytes: UnsafeBufferPointer<UInt8>, accept: (borrowing SaleLine) throws(LedgerError) -> Void) throws(LedgerError) {
        var header: [SalesColumn]?
        try CSVReader.scan(bytes, record: { (row: borrowing CSVReader.Row) throws(LedgerError) in
            if row.isBlank { return }
            guard let columns = header else {
                header = try Self.header(row)
                return
            }
            counts.lines += 1
            guard row.count == columns.count else {
                reject(row.line, nil, "\(row.count) fields, the header has \(columns.count)")
                return
            }
            sale.reset()
            for (index, column) in columns.enumerated() {
                let problem: SaleLine.Problem? = row.withField(index) { raw in
                    do throws(SaleLine.Problem) { try sale.set(column, raw); return nil } catch { return error }
                }
                if let problem {
                    reject(row.line, column.rawValue, problem.message)
                    return
                }
            }
            try finish(row.line, accept: accept)
        }, malformed: { (error: CSVReader.Malformed) throws(LedgerError) in
            guard header != nil else { throw LedgerError.unreadable("line \(error.line): the header is not CSV: \(error.message)") }
            counts.lines += 1
            reject(error.line, nil, error.message)
        })
        guard header != nil else {
            throw LedgerError.unreadable("empty; expected a header line naming the columns " + Self.columnList)
        }
    }

    static let columnList = SalesColumn.allCases.map(\.rawValue).joined(separator: ", ")

    /// The columns a header line names, in its order.
    static func header(_ row: borrowing CSVReader.Row) throws(LedgerError) -> [SalesColumn] {
        var columns: [SalesColumn] = []
        for index in 0..<row.count {
            let name = row.string(index)
            guard let column = SalesColumn(name: name) else {
                throw LedgerError.unreadable("line \(row.line), column \(index + 1): unknown column \"\(name.prefix(40))\"; expected " + columnList)
            }
            guard !columns.contains(column) else {
                throw LedgerError.unreadable("line \(row.line): column \(column.rawValue) appears twice")
            }
            columns.append(column)
        }
        let missing = SalesColumn.required.filter { !columns.contains($0) }
        guard missing.isEmpty else {
            throw LedgerError.unreadable("line \(row.line): the header lacks " + missing.map(\.rawValue).joined(separator: ", ")
                                         + " (columns: " + columnList + ")")
        }
        return columns
    }

    // MARK: NDJSON

    mutating func readNDJSON(_ bytes: UnsafeBufferPointer<UInt8>, accept: (borrowing SaleLine) throws(LedgerError) -> Void) throws(LedgerError) {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineNumber = 0
        var sawObject = false
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            let text = SaleLine.trimmed(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            start = end + 1
            if text.isEmpty { continue }
            counts.lines += 1
            // A body in which no line even starts an object is not NDJSON sales at all (like a CSV without
            // its header): unreadable, not a file of bad lines.
            if text.first == UInt8(ascii: "{") { sawObject = true }
            if let problem = readObject(text) {
                reject(lineNumber, problem.field, problem.message)
                continue
            }
            try finish(lineNumber, accept: accept)
        }
        guard sawObject else {
            throw LedgerError.unreadable((counts.lines == 0 ? "empty" : "no line is a JSON object")
                                         + "; expected one JSON object per line with the fields " + Self.columnList)
        }
    }

    /// Reads one line's object into `sale`; the problem when it is not a valid sales line.
    mutating func readObject(_ text: UnsafeBufferPointer<UInt8>) -> (field: String?, message: String)? {
        sale.reset()
        var scanner = JSONScanner(text, file: "line")
        var problem: (field: String?, message: String)?
        for index in seen.indices { seen[index] = false }
        do {
            try scanner.object { scanner, key throws(ArtifactError) in
                guard problem == nil else { return try scanner.skipValue() }
                guard let column = SalesColumn(name: key) else {
                    problem = (String(key.prefix(40)), "unknown field; expected " + Self.columnList)
                    return try scanner.skipValue()
                }
                guard !seen[column.index] else {
                    problem = (column.rawValue, "appears twice")
                    return try scanner.skipValue()
                }
                seen[column.index] = true
                var outcome: SaleLine.Problem?
                func set(_ raw: UnsafeBufferPointer<UInt8>) {
                    do throws(SaleLine.Problem) { try sale.set(column, raw) } catch { outcome = error }
                }
                switch try scanner.peekByte() {
                case UInt8(ascii: "\""):
                    var value = try scanner.string()
                    value.withUTF8 { set($0) }
                case UInt8(ascii: "n"):
                    try scanner.skipValue()
                    set(UnsafeBufferPointer(start: nil, count: 0))
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let range = try scanner.valueRange()
                    set(UnsafeBufferPointer(rebasing: text[range]))
                default:
                    try scanner.skipValue()
                    outcome = SaleLine.Problem("expected a string, a number or null")
                }
                if let outcome { problem = (column.rawValue, outcome.message) }
            }
            try scanner.end()
        } catch {
            guard case .malformed(let why) = error.problem else { return (nil, error.description) }
            return (nil, "not a JSON object: \(why)")
        }
        return problem
    }
}

/// Numbers the lines of one submission that share an invoice and a stock code (1, 2, …), by a 64-bit
/// FNV-1a hash of the pair so that counting a million lines keeps no strings. Two pairs with the same
/// hash would share one count: their keys still differ (they hold the invoice and stock code), and
/// the same file is numbered the same way every time, so idempotency holds regardless.
struct OccurrenceCounter {
    var counts: [UInt64: Int64] = [:]

    mutating func next(_ sale: borrowing SaleLine) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        sale.withText(.invoiceNo) { for byte in $0 { mix(byte) } }
        mix(0x1F)
        sale.withText(.stockCode) { for byte in $0 { mix(byte) } }
        let count = (counts[hash] ?? 0) + 1
        counts[hash] = count
        return count
    }
}
