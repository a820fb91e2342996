#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The columns of a sales line: the training schema's (UCI Online Retail) names, matched without
/// regard to case. `Description`, `CustomerID` and `Country` may be left out or empty.
public enum SalesColumn: String, Sendable, CaseIterable {
    case invoiceNo = "InvoiceNo"
    case stockCode = "StockCode"
    case description = "Description"
    case quantity = "Quantity"
    case invoiceDate = "InvoiceDate"
    case unitPrice = "UnitPrice"
    case customerID = "CustomerID"
    case country = "Country"

    /// The columns every line needs a value for.
    public static let required: [SalesColumn] = [.invoiceNo, .stockCode, .quantity, .invoiceDate, .unitPrice]

    /// The column `name` names (case and surrounding spaces ignored).
    public init?(name: some StringProtocol) {
        var trimmed = Substring(name)
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" || last == "\r" { trimmed.removeLast() }
        func lower(_ byte: UInt8) -> UInt8 { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte }
        guard let found = Self.allCases.first(where: { $0.rawValue.utf8.elementsEqual(trimmed.utf8) { lower($0) == lower($1) } }) else {
            return nil
        }
        self = found
    }

    /// The column's slot in a line's arrays (a switch: `allCases` would build an array per call).
    var index: Int {
        switch self {
        case .invoiceNo: 0
        case .stockCode: 1
        case .description: 2
        case .quantity: 3
        case .invoiceDate: 4
        case .unitPrice: 5
        case .customerID: 6
        case .country: 7
        }
    }
}

/// One valid sales line, normalised: texts trimmed, `InvoiceNo` without a spreadsheet's `.0`, the date
/// as `YYYY-MM-DD HH:MM:SS`. The texts live in one buffer reused from line to line, so reading a
/// million lines allocates nothing per line.
///
/// The idempotency key is (`InvoiceNo`, `StockCode`, `occurrence`): `occurrence` counts the lines
/// with the same invoice and stock code within one submission (1 for the first). A resubmitted file
/// gives every line the same key again; two identical lines of one invoice (the UCI data has them)
/// are both kept, as the training data keeps them.
public struct SaleLine {
    /// Every text field's bytes, one after another; `ranges` says where each column's are.
    var text: [UInt8] = []
    var ranges = [Range<Int>](repeating: 0..<0, count: SalesColumn.allCases.count)
    var present = [Bool](repeating: false, count: SalesColumn.allCases.count)
    public internal(set) var quantity: Int64 = 0
    public internal(set) var unitPrice = 0.0
    public internal(set) var customerID: Int64?
    /// See the type's comment: 1 for the first line of its invoice and stock code in the submission.
    public internal(set) var occurrence: Int64 = 1

    init() {
        text.reserveCapacity(512)
    }

    /// A text column's bytes, valid during `body` only.
    public func withText<R>(_ column: SalesColumn, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let range = ranges[column.index]
        return try text.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// A text column as a String.
    public func string(_ column: SalesColumn) -> String {
        withText(column) { String(decoding: $0, as: UTF8.self) }
    }

    mutating func reset() {
        text.removeAll(keepingCapacity: true)
        for i in present.indices { present[i] = false; ranges[i] = 0..<0 }
        quantity = 0
        unitPrice = 0
        customerID = nil
        occurrence = 1
    }

    /// Why a field's value is refused.
    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Sets `column` from its raw value (surrounding spaces ignored).
    mutating func set(_ column: SalesColumn, _ raw: UnsafeBufferPointer<UInt8>) throws(Problem) {
        let value = Self.trimmed(raw)
        present[column.index] = true
        switch column {
        case .invoiceNo:
            var bytes = value
            // A spreadsheet that read invoice numbers as numbers writes 536365.0; the training loader strips it too.
            if bytes.count > 2, bytes[bytes.count - 2] == UInt8(ascii: "."), bytes[bytes.count - 1] == UInt8(ascii: "0") {
                bytes = UnsafeBufferPointer(rebasing: bytes[0..<(bytes.count - 2)])
            }
            try appendText(column, bytes, maxBytes: 64)
        case .stockCode: try appendText(column, value, maxBytes: 64)
        case .description: try appendText(column, value, maxBytes: 1000)
        case .country: try appendText(column, value, maxBytes: 100)
        case .quantity:
            guard !value.isEmpty else { throw Problem("value is empty") }
            quantity = try Self.wholeNumber(value, limit: 1e12)
        case .unitPrice:
            guard !value.isEmpty else { throw Problem("value is empty") }
            guard let number = Self.number(value), number.isFinite, abs(number) <= 1e9 else {
                throw Problem("\(Self.quoted(value)) is not a number")
            }
            unitPrice = number
        case .customerID:
            customerID = value.isEmpty ? nil : try Self.wholeNumber(value, limit: 1e15)
        case .invoiceDate:
            guard !value.isEmpty else { throw Problem("value is empty") }
            let start = text.count
            guard InvoiceDate.normalise(value, into: &text) else {
                throw Problem("\(Self.quoted(value)) is not a date (YYYY-MM-DD HH:MM[:SS], or M/D/YYYY H:MM[:SS] as in the UCI file)")
            }
            ranges[column.index] = start..<text.count
        }
    }

    /// The first required column without a value and why (call after the last ``set(_:_:)``).
    func missingValue() -> (column: SalesColumn, message: String)? {
        for column in SalesColumn.required {
            if !present[column.index] { return (column, "value is missing") }
            if column == .invoiceNo || column == .stockCode, ranges[column.index].isEmpty { return (column, "value is empty") }
        }
        return nil
    }

    private mutating func appendText(_ column: SalesColumn, _ value: UnsafeBufferPointer<UInt8>, maxBytes: Int) throws(Problem) {
        guard value.count <= maxBytes else { throw Problem("longer than \(maxBytes) bytes") }
        // Every ledger stores text as UTF-8 (PostgreSQL refuses anything else, as does the loop's Python
        // reader), so a Latin-1 file is refused line by line here, the same way for every database.
        if value.contains(where: { $0 == 0 || $0 >= 0x80 }) {
            guard !value.contains(0) else { throw Problem("contains a NUL byte") }
            guard String(validating: value, as: UTF8.self) != nil else { throw Problem("not UTF-8 text (send the file as UTF-8)") }
        }
        let start = text.count
        text.append(contentsOf: value)
        ranges[column.index] = start..<text.count
    }

    static func trimmed(_ raw: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = raw.count
        while start < end, raw[start] == UInt8(ascii: " ") || raw[start] == 9 { start += 1 }
        while end > start, raw[end - 1] == UInt8(ascii: " ") || raw[end - 1] == 9 || raw[end - 1] == 13 { end -= 1 }
        return UnsafeBufferPointer(rebasing: raw[start..<end])
    }

    /// The value in quotes for a message, cut to 40 bytes.
    static func quoted(_ value: UnsafeBufferPointer<UInt8>) -> String {
        "\"" + String(decoding: value.prefix(40), as: UTF8.self) + (value.count > 40 ? "…\"" : "\"")
    }

    /// A decimal number (strtod's syntax, nothing after it), nil otherwise.
    static func number(_ value: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !value.isEmpty, value.count < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
            for i in 0..<value.count { buffer[i] = CChar(bitPattern: value[i]) }
            buffer[value.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let result = strtod(buffer.baseAddress!, &end)
            guard let end, end - buffer.baseAddress! == value.count else { return nil }
            // strtod also reads hexadecimal, "inf" and "nan", which no sales file means.
            guard value.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "e"),
                     UInt8(ascii: "E"): true
                default: false
                }
            }) else { return nil }
            return result
        }
    }

    /// A whole number (`6`, `6.0`) of at most `limit` in size.
    static func wholeNumber(_ value: UnsafeBufferPointer<UInt8>, limit: Double) throws(Problem) -> Int64 {
        guard let number = number(value), number.isFinite else { throw Problem("\(quoted(value)) is not a number") }
        guard number == number.rounded() else { throw Problem("\(quoted(value)) is not a whole number") }
        guard abs(number) <= limit else { throw Problem("\(quoted(value)) is out of range") }
        return Int64(number)
    }
}
