/// An ordered list of header fields with case-insensitive name lookup.
///
/// Field names keep the spelling they were received or set with; lookups ignore ASCII case.
/// A name may occur several times (e.g. `Set-Cookie`); use ``values(for:)`` to get all of them.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One header field.
    public typealias Element = (name: String, value: String)

    var fields: [Element]

    /// An empty header list.
    public init() {
        fields = []
    }

    /// Header fields in the given order.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// Header fields in literal order: `["Content-Type": "text/plain"]`.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    init(reservingCapacity capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    /// The first value of the named field (case-insensitive), or nil.
    ///
    /// Setting replaces every field with that name by one field with the new value; setting nil removes them.
    public subscript(name: String) -> String? {
        get {
            for field in fields where Self.namesEqual(field.name, name) { return field.value }
            return nil
        }
        set {
            if let newValue {
                if let index = fields.firstIndex(where: { Self.namesEqual($0.name, name) }) {
                    fields[index].value = newValue
                    var next = index + 1
                    while next < fields.count {
                        if Self.namesEqual(fields[next].name, name) { fields.remove(at: next) } else { next += 1 }
                    }
                } else {
                    fields.append((name: name, value: newValue))
                }
            } else {
                remove(name)
            }
        }
    }

    /// All values of the named field (case-insensitive), in order.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// Whether a field with this name (case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesEqual($0.name, name) }
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Removes every field with this name (case-insensitive).
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    /// The number of fields (not distinct names).
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    /// `Name: value` lines.
    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// ASCII case-insensitive comparison of two field names, without allocating.
    static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                guard a.count == b.count else { return false }
                for i in 0..<a.count where a[i] != b[i] {
                    guard ASCII.lowercased(a[i]) == ASCII.lowercased(b[i]) else { return false }
                }
                return true
            }
        }
    }
}
