extension HTTPRequest {
    /// One decoded `name=value` pair of a query string.
    public struct QueryItem: Sendable, Hashable {
        /// The decoded name.
        public var name: String
        /// The decoded value ("" when the item has no `=`).
        public var value: String

        /// Creates a query item.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The query items of ``query``, percent-decoded with `+` read as a space, in order.
    public var queryItems: [QueryItem] {
        Self.queryItems(from: query)
    }

    /// The decoded value of the first query item with this (decoded) name, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The percent-decoded path (without `+` translation), or nil if it decodes to invalid UTF-8.
    public var decodedPath: String? {
        Self.percentDecode(path, plusAsSpace: false)
    }

    /// Splits a request target into its path and raw query: `"/a?b=1"` → `("/a", "b=1")`.
    public static func splitTarget(_ target: String) -> (path: String, query: String) {
        guard let mark = target.utf8.firstIndex(of: ASCII.question) else { return (target, "") }
        let path = String(target[..<mark])
        let query = String(target[target.utf8.index(after: mark)...])
        return (path, query)
    }

    /// Parses an `application/x-www-form-urlencoded`-style query string: items split on `&`,
    /// names and values percent-decoded with `+` as space. Empty items are skipped; undecodable
    /// items keep their raw text.
    public static func queryItems(from query: String) -> [QueryItem] {
        var items: [QueryItem] = []
        for part in query.utf8.split(separator: 0x26, omittingEmptySubsequences: true) {  // '&'
            let raw = Substring(part)
            let name: Substring
            let value: Substring
            if let eq = raw.utf8.firstIndex(of: 0x3D) {  // '='
                name = raw[..<eq]
                value = raw[raw.utf8.index(after: eq)...]
            } else {
                name = raw
                value = ""
            }
            items.append(QueryItem(
                name: percentDecode(name, plusAsSpace: true) ?? String(name),
                value: percentDecode(value, plusAsSpace: true) ?? String(value)))
        }
        return items
    }

    /// Decodes `%XX` escapes (and `+` as space if asked). Malformed escapes are kept literally;
    /// returns nil if the result is not valid UTF-8.
    public static func percentDecode(_ text: some StringProtocol, plusAsSpace: Bool = false) -> String? {
        let utf8 = Array(text.utf8)
        guard utf8.contains(where: { $0 == 0x25 || (plusAsSpace && $0 == 0x2B) }) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if c == 0x25, i + 2 < utf8.count, let hi = ASCII.hexValue(utf8[i + 1]), let lo = ASCII.hexValue(utf8[i + 2]) {
                out.append(UInt8(hi << 4 | lo))
                i += 3
            } else {
                out.append(plusAsSpace && c == 0x2B ? ASCII.space : c)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
