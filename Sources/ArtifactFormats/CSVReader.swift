/// An RFC 4180 reader: comma-separated fields, double-quoted fields that may hold commas, quotes
/// (`""`) and line breaks, records ended by CRLF or LF (a final line break optional). A UTF-8 byte
/// order mark at the start is skipped. Records come with the line their first field starts on, so
/// errors can point at the line a spreadsheet user sees.
///
/// Two ways to read: ``records(_:)`` gives every record at once and refuses a file with any stretch
/// that is not CSV (the catalogue, which is small and must be trusted whole); ``scan(_:record:malformed:)``
/// streams the records through one reused ``Row`` (nothing allocated per record) and, after a stretch
/// that is not CSV, reports it and goes on at the next line (the sales ledger, whose files have a
/// million lines, of which a bad one must not cost the rest).
public struct CSVReader {
    /// One record and the (1-based) line it starts on.
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let fields: [String]
        /// Nothing at all between the line breaks. Its fields are `[""]`, as are those of a line holding
        /// only `""`, which is an empty field someone wrote and must not be passed over as a blank line.
        public let isBlank: Bool
    }

    /// A stretch that cannot be read as CSV: with ``records(_:)`` the whole file is refused; with
    /// ``scan(_:record:malformed:)`` the record it is in is skipped.
    public struct Malformed: Error, Sendable, Equatable {
        public let line: Int
        public let message: String
    }

    /// The record being read by ``CSVReader/scan(_:record:malformed:)``: its fields' bytes (unquoted,
    /// `""` made `"`) one after the other in a buffer kept from record to record.
    public struct Row {
        /// The line the record starts on (1-based).
        public fileprivate(set) var line = 1
        /// See ``Record/isBlank``.
        public fileprivate(set) var isBlank = false
        @usableFromInline var bytes: [UInt8] = []
        @usableFromInline var ends: [Int] = []

        /// The number of fields.
        @inlinable public var count: Int { ends.count }

        /// Field `index`'s bytes, valid during `body` only. Inlinable, so a reader in another module
        /// gets it specialised for its closure (the million-line ingest calls it eight times a line).
        @inlinable
        public func withField<R, E: Error>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
            let start = index == 0 ? 0 : ends[index - 1]
            let end = ends[index]
            return try bytes.withUnsafeBufferPointer { (all) throws(E) -> R in try body(UnsafeBufferPointer(rebasing: all[start..<end])) }
        }

        /// Field `index` as text (invalid UTF-8 repaired).
        public func string(_ index: Int) -> String {
            withField(index) { String(decoding: $0, as: UTF8.self) }
        }

        var fieldIsEmpty: Bool { bytes.count == (ends.last ?? 0) }

        mutating func clear(line: Int) {
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            self.line = line
        }
    }

    /// Every record of `bytes`; throws at the first stretch that is not CSV.
    public static func records(_ bytes: [UInt8]) throws(Malformed) -> [Record] {
        var records: [Record] = []
        var failure: Malformed?
        bytes.withUnsafeBufferPointer { buffer in
            do throws(Malformed) {
                try scan(buffer, record: { (row: borrowing Row) throws(Malformed) in
                    var fields: [String] = []
                    for index in 0..<row.count { fields.append(row.string(index)) }
                    records.append(Record(line: row.line, fields: fields, isBlank: row.isBlank))
                }, malformed: { (error: Malformed) throws(Malformed) in throw error })
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return records
    }

    /// Reads `bytes` record by record. `record` gets each one in a ``Row`` that the next record reuses;
    /// `malformed` gets each stretch that is not CSV (a quote inside an unquoted field, text after a
    /// closing quote), after which reading goes on at the next line break outside quotes; a quoted
    /// field never closed ends the reading. Either closure may throw to stop.
    public static func scan<E: Error>(_ bytes: UnsafeBufferPointer<UInt8>, record: (borrowing Row) throws(E) -> Void,
                                      malformed: (Malformed) throws(E) -> Void) throws(E) {
        var scanner = Scanner(bytes)
        while true {
            switch scanner.next() {
            case .record: try record(scanner.row)
            case .malformed(let error): try malformed(error)
            case .end: return
            }
        }
    }

    /// The state machine behind ``scan(_:record:malformed:)``, a plain struct stepped by ``next()`` so that
    /// the byte loop has no closures and no captured variables (whose exclusivity checks cost a third
    /// of the loop's time).
    struct Scanner {
        enum Event {
            case record
            case malformed(Malformed)
            case end
        }

        let bytes: UnsafeBufferPointer<UInt8>
        var row = Row()
        var i: Int
        var line = 1
        var quoted = false, wasQuoted = false
        var finished = false
        /// The row holds the record last returned; the next call starts a new one.
        var returnedRecord = false

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        }

        mutating func next() -> Event {
            if returnedRecord {
                row.clear(line: line)
                returnedRecord = false
            }
            while i < bytes.count {
                let b = bytes[i]
                if quoted {
                    if b == UInt8(ascii: "\"") {
                        if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                            row.bytes.append(b)
                            i += 2
                            continue
                        }
                        quoted = false
                        wasQuoted = true
                    } else {
                        if b == UInt8(ascii: "\n") { line += 1 }
                        row.bytes.append(b)
                    }
                    i += 1
                    continue
                }
                switch b {
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                    i += 1
                    fallthrough
                case UInt8(ascii: "\n"):
                    endRecord()
                    i += 1
                    line += 1
                    return .record
                case UInt8(ascii: "\""):
                    guard row.fieldIsEmpty && !wasQuoted else {
                        return fail("a quote inside an unquoted field (quote the whole field and double the quote)")
                    }
                    quoted = true
                default:
                    if wasQuoted { return fail("text after a closing quote (expected a comma or the end of the line)") }
                    row.bytes.append(b)
                }
                i += 1
            }
            if finished { return .end }
            finished = true
            if quoted { return .malformed(Malformed(line: row.line, message: "a quoted field is never closed")) }
            if !row.fieldIsEmpty || !row.ends.isEmpty || wasQuoted {
                endRecord()
                return .record
            }
            return .end
        }

        mutating func endField() {
            row.ends.append(row.bytes.count)
            wasQuoted = false
        }

        mutating func endRecord() {
            row.isBlank = row.ends.isEmpty && row.fieldIsEmpty && !wasQuoted
            endField()
            returnedRecord = true
        }

        /// `message` at this line; the record is dropped and reading goes on after the next line break.
        mutating func fail(_ message: String) -> Event {
            let error = Malformed(line: line, message: message)
            while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            i += 1
            line += 1
            wasQuoted = false
            row.clear(line: line)
            return .malformed(error)
        }
    }
}
