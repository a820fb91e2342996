/// How one text cell is written into the service's CSV files: the command line's `recommend`, the
/// API's `text/csv` answers and the dashboard's download (which is the API's answer) all go through
/// ``append(_:to:)``, so they cannot differ.
///
/// Text cells come from the retailer's transaction log (descriptions, stockcodes) and are opened in a
/// spreadsheet. A cell that starts with `=`, `+`, `-`, `@`, TAB or CR would be run there as a formula
/// (`=HYPERLINK(…)`, DDE), so, as OWASP's "CSV Injection" page recommends, such a cell gets a leading
/// single quote, which spreadsheets show as text and do not evaluate. The cell is then quoted when
/// it holds a comma, a quote or a line break, quotes doubled (RFC 4180).
///
/// Only text goes through here: numeric columns (a negative price change) are written as plain
/// numbers by the table and stay numbers in the spreadsheet.
public enum CSVField {
    /// The first characters that make a spreadsheet read a cell as a formula.
    public static let formulaStarts: Set<UInt8> = [
        UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13,
    ]

    /// Whether `text` would be read as a formula and is written with a leading `'`.
    public static func needsNeutralising(_ text: String) -> Bool {
        text.utf8.first.map(formulaStarts.contains) ?? false
    }

    /// Appends `text` as one CSV field: neutralised when it starts like a formula, quoted when needed.
    public static func append(_ text: String, to out: inout [UInt8]) {
        let neutralise = needsNeutralising(text)
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        if needsQuotes { out.append(UInt8(ascii: "\"")) }
        if neutralise { out.append(UInt8(ascii: "'")) }
        for b in text.utf8 {
            out.append(b)
            if needsQuotes && b == UInt8(ascii: "\"") { out.append(b) }
        }
        if needsQuotes { out.append(UInt8(ascii: "\"")) }
    }

    /// `text` as one CSV field.
    public static func field(_ text: String) -> String {
        var out: [UInt8] = []
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
