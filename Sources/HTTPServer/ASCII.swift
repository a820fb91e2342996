/// Byte classes from RFC 9110/9112 used by the parsers (and by the Lambda runtime's event checks).
/// Plain comparisons, no tables: the compiler turns these into a few range checks.
package enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F
    static let star: UInt8 = 0x2A
    static let dot: UInt8 = 0x2E

    @inline(__always)
    static func lowercased(_ c: UInt8) -> UInt8 {
        (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// tchar (RFC 9110 §5.6.2).
    @inline(__always)
    package static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true  // DIGIT / ALPHA
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    /// Visible characters allowed in a request-target (no spaces or controls, ASCII only).
    @inline(__always)
    static func isTargetChar(_ c: UInt8) -> Bool { c > 0x20 && c < 0x7F }

    /// field-vchar / SP / HTAB / obs-text: everything except controls (other than HTAB) and DEL.
    @inline(__always)
    static func isFieldValueChar(_ c: UInt8) -> Bool { c >= 0x20 ? c != 0x7F : c == tab }

    @inline(__always)
    static func isWhitespace(_ c: UInt8) -> Bool { c == space || c == tab }

    /// Value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: Int(c &- 0x30)
        case 0x41...0x46: Int(c &- 0x41 &+ 10)
        case 0x61...0x66: Int(c &- 0x61 &+ 10)
        default: nil
        }
    }

    /// Case-insensitive comparison of a byte range with a lowercase ASCII literal.
    static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        var i = 0
        while i < end - start {
            if lowercased(bytes[start + i]) != lit[i] { return false }
            i += 1
        }
        return true
    }

    /// Exact comparison of a byte range with an ASCII literal.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        var i = 0
        while i < end - start {
            if bytes[start + i] != lit[i] { return false }
            i += 1
        }
        return true
    }
}
