extension StringProtocol {
    /// Without the spaces and tabs around it: HTTP's optional whitespace (RFC 9110 §5.6.3), the one
    /// trimming of header fields, query values and list items in the service.
    public func trimmingWhitespace() -> SubSequence {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isWhitespace($0) }), let last = lastIndex(where: { !isWhitespace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
