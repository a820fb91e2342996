#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

// The byte lexer under `LightGBMTextParser`: lines, `key=value` splits, space-separated tokens and
// numbers read in place from the model file's bytes, so the parser makes no String per value.

/// Lines, tokens and numbers of a byte buffer; ranges are byte offsets into it.
struct ByteLines {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The next line without its `\n` / `\r\n`, or nil at the end of the buffer.
    mutating func nextLine() -> Range<Int>? {
        guard position < bytes.count, let base = bytes.baseAddress else { return nil }
        let start = position
        var end = bytes.count
        if let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) {
            end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            position = end + 1
        } else {
            position = end
        }
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<end
    }

    mutating func nextNonEmptyLine() -> Range<Int>? {
        while let line = nextLine() {
            if !line.isEmpty { return line }
        }
        return nil
    }

    /// `key` and `value` of a `key=value` line; a line without `=` is all key and an empty value.
    func split(_ line: Range<Int>) -> (key: Range<Int>, value: Range<Int>) {
        var index = line.lowerBound
        while index < line.upperBound, bytes[index] != UInt8(ascii: "=") { index += 1 }
        guard index < line.upperBound else { return (line, line.upperBound..<line.upperBound) }
        return (line.lowerBound..<index, index + 1..<line.upperBound)
    }

    /// The bytes as text, for comparing keys (up to 15 bytes a String is stored inline, no allocation).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && starts(range, with: text)
    }

    func starts(_ range: Range<Int>, with prefix: StaticString) -> Bool {
        guard range.count >= prefix.utf8CodeUnitCount else { return false }
        for offset in 0..<prefix.utf8CodeUnitCount where bytes[range.lowerBound + offset] != prefix.utf8Start[offset] {
            return false
        }
        return true
    }

    /// Up to 40 bytes of `range` for an error message, non-printable bytes escaped, in quotes.
    func quoted(_ range: Range<Int>) -> String {
        var text = "\""
        for byte in bytes[range.prefix(40)] {
            if byte >= 0x20, byte < 0x7f, byte != UInt8(ascii: "\"") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return text + (range.count > 40 ? "...\"" : "\"")
    }

    func tokens(_ range: Range<Int>) -> ValueTokens {
        ValueTokens(bytes: bytes, position: range.lowerBound, end: range.upperBound)
    }

    func tokenCount(_ range: Range<Int>) -> Int {
        var tokens = tokens(range)
        var count = 0
        while tokens.next() != nil { count += 1 }
        return count
    }

    /// A decimal integer (optional sign), or nil if the bytes are anything else or its magnitude
    /// exceeds UInt32.max (the widest integer of the format: cat_threshold's uint32 words; every
    /// other one is an `int` in LightGBM, range-checked where it is used).
    func integer(_ range: Range<Int>) -> Int? {
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < range.upperBound else { return nil }
        var value = 0
        while index < range.upperBound {
            let digit = Int(bytes[index]) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
            guard value <= Int(UInt32.max) else { return nil }
            index += 1
        }
        return negative ? -value : value
    }

    /// A decimal number, correctly rounded like `strtod` (which LightGBM's own reader matches).
    ///
    /// Most values take the exact fast path (Clinger): at most 19 significant digits whose integer
    /// is at most 2^53, scaled by an exactly representable power of ten, is one correctly rounded
    /// IEEE operation. Longer mantissas (LightGBM writes 17 digits), big exponents, `inf` and `nan`
    /// go to `strtod`, whose end pointer must land exactly on the token's end.
    func double(_ range: Range<Int>) -> Double? {
        var index = range.lowerBound
        let end = range.upperBound
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var sawDigit = false
        var exact = true
        // Digits before and after the decimal point; up to 19 significant digits go in the mantissa,
        // each one after the point lowers the exponent, and a longer number falls back to strtod.
        var inFraction = false
        while index < end {
            if bytes[index] == UInt8(ascii: "."), !inFraction {
                inFraction = true
                index += 1
                continue
            }
            guard bytes[index] &- 48 < 10 else { break }
            let digit = UInt64(bytes[index] &- 48)
            sawDigit = true
            if mantissa != 0 || digit != 0 {
                if significantDigits < 19 {
                    mantissa = mantissa * 10 + digit
                    significantDigits += 1
                    if inFraction { exponent -= 1 }
                } else {
                    exact = false
                }
            } else if inFraction {
                exponent -= 1
            }
            index += 1
        }
        if index < end, sawDigit, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var digits = 0
            while index < end, bytes[index] &- 48 < 10 {
                written = min(written * 10 + Int(bytes[index] &- 48), 100_000)
                digits += 1
                index += 1
            }
            if digits == 0 { exact = false }
            exponent += exponentNegative ? -written : written
        }
        guard sawDigit, index == end, exact else { return strtodToken(range) }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else { return strtodToken(range) }
        let scaled = exponent < 0 ? Double(mantissa) / Self.powersOfTen[-exponent] : Double(mantissa) * Self.powersOfTen[exponent]
        return negative ? -scaled : scaled
    }

    /// 10^0 ... 10^22, all exact in Double.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// `strtod` on a NUL-terminated stack copy of the token. The C locale is the process default
    /// and nothing in the service changes it; under another LC_NUMERIC the end-pointer check turns
    /// a misread into an error rather than a wrong value.
    private func strtodToken(_ range: Range<Int>) -> Double? {
        guard !range.isEmpty, range.count < 128 else { return nil }
        let first = bytes[range.lowerBound]
        guard first > 0x20, first < 0x7f else { return nil }  // strtod would skip leading spaces
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer -> Double? in
            guard let start = buffer.baseAddress else { return nil }
            for offset in 0..<range.count { buffer[offset] = CChar(bitPattern: bytes[range.lowerBound + offset]) }
            buffer[range.count] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &stop)
            guard let stop, start.distance(to: stop) == range.count else { return nil }
            return value
        }
    }
}

/// Space-separated tokens of one value.
struct ValueTokens {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    mutating func next() -> Range<Int>? {
        while position < end, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") {
            position += 1
        }
        guard position < end else { return nil }
        let start = position
        while position < end, bytes[position] != UInt8(ascii: " "), bytes[position] != UInt8(ascii: "\t") {
            position += 1
        }
        return start..<position
    }
}
