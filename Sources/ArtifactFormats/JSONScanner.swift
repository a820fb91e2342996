#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull reader of JSON over raw bytes, for the artifact files that are large and read at every cold
/// start (the feature store index: 4,000 products, 1.7 MB). Foundation's JSONDecoder took 110–370 ms
/// for it; this reads it in a few milliseconds by building only the values asked for and skipping the
/// rest without allocating.
///
/// The caller walks the document: ``object(_:)`` hands each member's key to a closure that reads (or
/// ``skipValue()``s) the value, ``array(_:)`` calls its closure per element. Numbers are parsed with
/// `strtod`, which rounds correctly, so values are bit-identical to JSONDecoder's. Errors are
/// `.malformed` naming the file and the byte offset.
package struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let file: String
    /// The offset of the next unread byte.
    package private(set) var position = 0

    /// Reads `bytes`, which must stay valid while the scanner is used; `file` names them in errors.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// An error at the current offset.
    package func malformed(_ why: String) -> ArtifactError {
        ArtifactError(file: file, .malformed("\(why) at byte \(position)"))
    }

    /// Reads an object; `member` is called with each key and must consume the value.
    package mutating func object(_ member: (inout JSONScanner, String) throws(ArtifactError) -> Void) throws(ArtifactError) {
        try expect(UInt8(ascii: "{"), "expected an object")
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"), "expected ':' after a key")
            let before = position
            try member(&self, key)
            guard position > before else { throw malformed("the value of \"\(key)\" was not read") }
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: position -= 1; throw malformed("expected ',' or '}' in an object")
            }
        }
    }

    /// Reads an array; `element` is called once per element and must consume it.
    package mutating func array(_ element: (inout JSONScanner) throws(ArtifactError) -> Void) throws(ArtifactError) {
        try expect(UInt8(ascii: "["), "expected an array")
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            let before = position
            try element(&self)
            guard position > before else { throw malformed("an array element was not read") }
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: position -= 1; throw malformed("expected ',' or ']' in an array")
            }
        }
    }

    /// Reads a string (escapes resolved; invalid UTF-8 is repaired as `String(decoding:)` does).
    package mutating func string() throws(ArtifactError) -> String {
        try expect(UInt8(ascii: "\""), "expected a string")
        let start = position
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                return escaped ? try unescape(raw) : String(decoding: raw, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                position += 1
            } else if byte < 0x20 {
                throw malformed("a control character in a string")
            }
            position += 1
        }
        throw malformed("an unterminated string")
    }

    /// Reads a number as a Double.
    package mutating func double() throws(ArtifactError) -> Double {
        let range = try numberRange()
        // strtod needs a terminated copy; a JSON number is short (longer ones are not numbers we write).
        guard range.count < 64 else { throw malformed("a number of \(range.count) characters") }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            for (i, byte) in bytes[range].enumerated() { buffer[i] = CChar(bitPattern: byte) }
            buffer[range.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// Reads an integer (no fraction or exponent).
    package mutating func int() throws(ArtifactError) -> Int {
        let start = position
        let range = try numberRange()
        var value = 0
        var negative = false
        for byte in bytes[range] {
            if byte == UInt8(ascii: "-") { negative = true; continue }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                position = start
                throw malformed("expected an integer")
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { position = start; throw malformed("an integer out of range") }
            value = sum
        }
        return negative ? -value : value
    }

    /// Reads `true` or `false`.
    package mutating func bool() throws(ArtifactError) -> Bool {
        if try peek() == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// The next non-blank byte, not consumed (to choose how to read the value it starts).
    package mutating func peekByte() throws(ArtifactError) -> UInt8 { try peek() }

    /// Reads and discards one value of any kind.
    package mutating func skipValue() throws(ArtifactError) {
        switch try peek() {
        case UInt8(ascii: "{"): try object { scanner, _ throws(ArtifactError) in try scanner.skipValue() }
        case UInt8(ascii: "["): try array { scanner throws(ArtifactError) in try scanner.skipValue() }
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try numberRange()
        }
    }

    /// Skips one value and returns its bytes' range (for handing one member to another reader).
    package mutating func valueRange() throws(ArtifactError) -> Range<Int> {
        _ = try peek()
        let start = position
        try skipValue()
        return start..<position
    }

    /// Throws unless only whitespace is left.
    package mutating func end() throws(ArtifactError) {
        skipWhitespace()
        guard position == bytes.count else { throw malformed("unexpected content after the document") }
    }

    // MARK: Lexing

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): position += 1
            default: return
            }
        }
    }

    /// The next non-blank byte, not consumed.
    private mutating func peek() throws(ArtifactError) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw malformed("unexpected end of the document") }
        return bytes[position]
    }

    /// The next non-blank byte, consumed.
    private mutating func next() throws(ArtifactError) -> UInt8 {
        let byte = try peek()
        position += 1
        return byte
    }

    private mutating func expect(_ byte: UInt8, _ why: String) throws(ArtifactError) {
        guard try peek() == byte else { throw malformed(why) }
        position += 1
    }

    private mutating func literal(_ word: StaticString) throws(ArtifactError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
              memcmp(bytes.baseAddress! + position, word.utf8Start, count) == 0 else { throw malformed("expected \(word)") }
        position += count
    }

    private mutating func skipString() throws(ArtifactError) -> Range<Int> {
        try expect(UInt8(ascii: "\""), "expected a string")
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\""):
                position += 1
                return start..<(position - 1)
            case UInt8(ascii: "\\"): position += 2
            default: position += 1
            }
        }
        throw malformed("an unterminated string")
    }

    /// The extent of a number as JSON's grammar has it: `-? int frac? exp?`.
    private mutating func numberRange() throws(ArtifactError) -> Range<Int> {
        _ = try peek()
        let start = position
        func digits(_ scanner: inout JSONScanner) -> Int {
            let from = scanner.position
            while scanner.position < scanner.bytes.count,
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(scanner.bytes[scanner.position]) { scanner.position += 1 }
            return scanner.position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard digits(&self) > 0 else { position = start; throw malformed("expected a value") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw malformed("a number without digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw malformed("a number without exponent digits") }
        }
        return start..<position
    }

    /// A string's content with its escapes resolved (`\uXXXX` with surrogate pairs included).
    private func unescape(_ raw: UnsafeBufferPointer<UInt8>) throws(ArtifactError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for byte in raw[at..<(at + 4)] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\"), i + 1 < raw.count else {
                out.append(byte)
                i += 1
                continue
            }
            let code = raw[i + 1]
            i += 2
            switch code {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(code)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { throw malformed("a bad \\u escape in a string") }
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"),
                   raw[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default:
                throw malformed("a bad escape \\\(Character(Unicode.Scalar(code))) in a string")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
