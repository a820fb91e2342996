/// An invoice date in one of the training loader's formats, written as `YYYY-MM-DD HH:MM:SS` (so the
/// ledger's dates sort as text and SQLite's date functions read them).
///
/// Read: ISO `YYYY-MM-DD HH:MM[:SS]` (or with `T`), and `M/D/YYYY H:MM[:SS]`, the UCI file's own. Slash
/// dates are month first, as in the UCI file: day-first files (`%d/%m/%Y`, which the training loader
/// guesses from a file's first line) must be sent as ISO, since one line cannot say which it is.
enum InvoiceDate {
    /// Appends the normalised date to `out`; false (nothing appended) when `value` is not a valid date.
    static func normalise(_ value: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        var reader = Digits(bytes: value)
        let year, month, day: Int
        if value.count >= 5, value[4] == UInt8(ascii: "-") {
            guard let y = reader.number(4, 4), reader.skip("-"), let m = reader.number(1, 2), reader.skip("-"),
                  let d = reader.number(1, 2), reader.skip("T") || reader.skip(" ") else { return false }
            (year, month, day) = (y, m, d)
        } else {
            guard let m = reader.number(1, 2), reader.skip("/"), let d = reader.number(1, 2), reader.skip("/"),
                  let y = reader.number(4, 4), reader.skip(" ") else { return false }
            (year, month, day) = (y, m, d)
        }
        while reader.skip(" ") {}
        guard let hour = reader.number(1, 2), reader.skip(":"), let minute = reader.number(2, 2) else { return false }
        var second = 0
        if reader.skip(":") {
            guard let s = reader.number(2, 2) else { return false }
            second = s
        }
        guard reader.atEnd, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 60,
              year >= 1900 else { return false }
        append(year, width: 4, to: &out); out.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &out); out.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &out); out.append(UInt8(ascii: " "))
        append(hour, width: 2, to: &out); out.append(UInt8(ascii: ":"))
        append(minute, width: 2, to: &out); out.append(UInt8(ascii: ":"))
        append(second, width: 2, to: &out)
        return true
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func append(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// A cursor over a date's bytes.
    private struct Digits {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        var atEnd: Bool { position == bytes.count }

        /// A run of `min`…`max` digits.
        mutating func number(_ min: Int, _ max: Int) -> Int? {
            var value = 0, count = 0
            while position < bytes.count, count < max, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                position += 1
                count += 1
            }
            return count >= min ? value : nil
        }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }
    }
}
