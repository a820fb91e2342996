/// An RFC 4180 reader: comma-separated fields, double-quoted fields that may hold commas, quotes
/// (`""`) and line breaks, records ended by CRLF or LF (a final line break optional). A UTF-8 byte
/// order mark at the start is skipped. Records come with the line their first field starts on, so
/// errors can point at the line a spreadsheet user sees.
public struct CSVReader {
    /// One record and the (1-based) line it starts on.
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let fields: [String]
    }

    /// A file that cannot be read as CSV at all (the rest of it cannot be trusted).
    public struct Malformed: Error, Sendable, Equatable {
        public let line: Int
        public let message: String
    }

    /// Every record of `bytes`.
    public static func records(_ bytes: [UInt8]) throws(Malformed) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1, recordLine = 1
        var quoted = false, wasQuoted = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            records.append(Record(line: recordLine, fields: fields))
            fields.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 2
                        continue
                    }
                    quoted = false
                    wasQuoted = true
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
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
                line += 1
                recordLine = line
            case UInt8(ascii: "\""):
                guard field.isEmpty && !wasQuoted else {
                    throw Malformed(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                quoted = true
            default:
                if wasQuoted { throw Malformed(line: line, message: "text after a closing quote (expected a comma or the end of the line)") }
                field.append(b)
            }
            i += 1
        }
        if quoted { throw Malformed(line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }
}
