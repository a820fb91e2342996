@testable import ArtifactFormats
import FuzzSupport

/// Catalogue files (`CSVReader`, `Catalogue`), the one CSV a retailer uploads. Properties:
/// - the reader gives the records (fields and start lines) or the failure (kind and line) of
///   ``ReferenceCSVReader``, a second reading of RFC 4180;
/// - records written back with RFC 4180 quoting (needed quotes or every field quoted, LF or CRLF,
///   as the input's hash picks) read back to the same fields;
/// - a catalogue is refused exactly when the file is not CSV, has no header, or the header names an
///   unknown column, a column twice or no stockcode; the error names the file;
/// - otherwise every data line (each record after the header but empty lines) is accepted or skipped,
///   once: no line is dropped silently. A skipped line has its line, and a column unless its field
///   count is wrong; an accepted one has a unique stockcode, the numbers its fields spell (finite,
///   prices in (0, 1e6], unit cost in [0, 1e6], floor <= ceiling) and nothing else in those fields.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCatalogue(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let bytes = Array(input)
    let expected = ReferenceCSVReader(bytes).records()

    let actual: Result<[CSVReader.Record], CSVReader.Malformed> = Result { () throws(CSVReader.Malformed) in try CSVReader.records(bytes) }
    switch (actual, expected) {
    case (.success(let records), .success(let reference)):
        let same = records.map { Pair($0.line, $0.fields, $0.isBlank) } == reference.map { Pair($0.line, $0.fields, $0.isBlank) }
        require(same, "records \(cut(records)); reference \(cut(reference))")
        checkRoundTrip(records, seed: seed(of: input))
    case (.failure(let error), .failure(let failure)):
        require(kind(of: error) == failure, "failure \(error); reference \(failure)")
    default:
        require(false, "reader \(cut(actual)); reference \(cut(expected))")
    }
    if case .success(let records) = expected {
        checkCatalogue(bytes, records: records)
    } else {
        do {
            _ = try Catalogue(bytes: bytes, file: file)
            require(false, "a catalogue from a file that is not CSV")
        } catch {
            require(error.description.hasPrefix(file + ": line "), "error \(error.description)")
        }
    }
    return 0
}

let file = "catalogue.csv"

/// A record's line, fields and blankness, to compare the two readers' records.
struct Pair: Equatable {
    let line: Int, fields: [String], isBlank: Bool
    init(_ line: Int, _ fields: [String], _ isBlank: Bool) { (self.line, self.fields, self.isBlank) = (line, fields, isBlank) }
}

/// The reference's name for a reader error, told apart by the message (the wording may change, the
/// three cases may not).
func kind(of error: CSVReader.Malformed) -> ReferenceCSVReader.Failure? {
    if error.message.contains("never closed") { return .unclosedQuote(line: error.line) }
    if error.message.contains("after a closing quote") { return .textAfterClosingQuote(line: error.line) }
    if error.message.contains("inside an unquoted field") { return .quoteInUnquotedField(line: error.line) }
    return nil
}

/// Failure lines stay readable however long the input.
func cut(_ value: some Any) -> String { String(String(describing: value).prefix(400)) }

/// Writes `records` as RFC 4180 and reads them back: the same fields, record for record.
func checkRoundTrip(_ records: [CSVReader.Record], seed: UInt64) {
    let quoteAll = seed & 1 == 1
    let lineBreak: [UInt8] = seed & 2 == 2 ? [0x0D, 0x0A] : [0x0A]
    var text: [UInt8] = []
    for (r, record) in records.enumerated() {
        for (f, field) in record.fields.enumerated() {
            if f > 0 { text.append(0x2C) }
            let utf8 = Array(field.utf8)
            // A field must be quoted when it holds a separator, a quote or a line break, and the file's
            // first field when it starts with a byte order mark, which the reader would take for the file's.
            let needs = utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
                || (r == 0 && f == 0 && utf8.starts(with: [0xEF, 0xBB, 0xBF]))
            if quoteAll || needs {
                text.append(0x22)
                for byte in utf8 { text += byte == 0x22 ? [0x22, 0x22] : [byte] }
                text.append(0x22)
            } else {
                text += utf8
            }
        }
        text += lineBreak
    }
    do {
        let again = try CSVReader.records(text)
        require(again.map(\.fields) == records.map(\.fields), "written back \(cut(again.map(\.fields))); first read \(cut(records.map(\.fields)))")
    } catch {
        require(false, "written back, not CSV: \(error)")
    }
}
