/// A second RFC 4180 reader, written from the grammar (record = field *(COMMA field); field =
/// escaped / non-escaped) by recursive descent instead of ``CSVReader``'s byte-at-a-time state machine,
/// with the service's additions: LF alone also ends a record, a CR not followed by LF is text, a leading
/// UTF-8 byte order mark is skipped, and a line is counted at every LF (inside quotes too).
struct ReferenceCSVReader {
    /// Why a file is not CSV; compared with ``CSVReader/Malformed`` by kind and line, not wording.
    enum Failure: Error, Equatable {
        case quoteInUnquotedField(line: Int)
        case textAfterClosingQuote(line: Int)
        case unclosedQuote(line: Int)
    }

    /// One record: its fields, the line it starts on, and whether it was an empty line (no bytes at
    /// all between line breaks), which is what a catalogue may skip without a word. `""` alone is not
    /// empty: someone wrote an empty field there.
    struct Record: Equatable {
        var line: Int
        var fields: [String]
        var isBlank: Bool
    }

    private let bytes: [UInt8]
    /// `linesBefore[i]`: LFs in `bytes[..<i]`, so the line at `i` is `linesBefore[i] + 1`.
    private let linesBefore: [Int]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var counts = [0]
        counts.reserveCapacity(bytes.count + 1)
        for byte in bytes { counts.append(counts.last! + (byte == 0x0A ? 1 : 0)) }
        linesBefore = counts
    }

    func records() -> Result<[Record], Failure> {
        var at = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var records: [Record] = []
        // Each pass reads one record; input that ends right after a line break has no record after it.
        while at < bytes.count {
            let start = at
            var fields: [String] = []
            while true {
                switch field(at, recordStart: start) {
                case .failure(let failure): return .failure(failure)
                case .success(let (text, end)):
                    fields.append(text)
                    at = end
                }
                if at == bytes.count { break }
                if bytes[at] == 0x2C { at += 1; continue }
                if bytes[at] == 0x0A { at += 1; break }
                if bytes[at] == 0x0D && at + 1 < bytes.count && bytes[at + 1] == 0x0A { at += 2; break }
                // An unquoted field stops only at a comma or a line break, so this follows a quote.
                return .failure(.textAfterClosingQuote(line: line(at)))
            }
            let isBlank = fields == [""] && (start == bytes.count || bytes[start] == 0x0A || bytes[start] == 0x0D)
            records.append(Record(line: line(start), fields: fields, isBlank: isBlank))
        }
        return .success(records)
    }

    /// The field at `at` and the index just past it.
    private func field(_ at: Int, recordStart: Int) -> Result<(String, Int), Failure> {
        var text: [UInt8] = []
        var i = at
        if i < bytes.count && bytes[i] == 0x22 {
            i += 1
            while i < bytes.count {
                if bytes[i] == 0x22 {
                    guard i + 1 < bytes.count && bytes[i + 1] == 0x22 else { return .success((decode(text), i + 1)) }
                    text.append(0x22)
                    i += 2
                } else {
                    text.append(bytes[i])
                    i += 1
                }
            }
            // The service points at the record's first line, where the spreadsheet row begins.
            return .failure(.unclosedQuote(line: line(recordStart)))
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 0x2C || byte == 0x0A || (byte == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A) { break }
            if byte == 0x22 { return .failure(.quoteInUnquotedField(line: line(i))) }
            text.append(byte)
            i += 1
        }
        return .success((decode(text), i))
    }

    private func line(_ index: Int) -> Int { linesBefore[index] + 1 }

    /// As the service decodes a field: invalid UTF-8 becomes U+FFFD.
    private func decode(_ text: [UInt8]) -> String { String(decoding: text, as: UTF8.self) }
}
