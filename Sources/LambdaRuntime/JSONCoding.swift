import Foundation

/// The JSON settings the runtime uses for the documents it writes: keys sorted (stable output) and
/// `/` left unescaped.
enum JSONCoding {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only plain strings, numbers, booleans, arrays and dictionaries are encoded: cannot fail.
        return (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array(#"{}"#.utf8)
    }
}
