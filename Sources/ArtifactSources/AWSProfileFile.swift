import Foundation

/// An AWS shared credentials or config file: `[section]` lines and `key = value` settings.
///
/// Read the way the AWS CLI reads them: comment lines start with `#` or `;`, there are no inline
/// comments (a value is everything after `=`), and indented lines are nested settings (such as `s3 =`
/// blocks) that this reader does not need and skips. An empty value (`key =`) leaves the key unset.
struct AWSProfileFile: Sendable {
    let sections: [String: [String: String]]

    /// Reads `path`; nil when there is no such file (or it cannot be read).
    init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            guard let first = raw.first, !first.isWhitespace else { continue }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), let close = line.lastIndex(of: "]") {
                let name = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section]?[key] = value.isEmpty ? nil : value
        }
        self.sections = sections
    }

    /// The settings of `profile` in a credentials file (`[name]` sections).
    func credentialsProfile(_ profile: String) -> [String: String]? {
        sections[profile]
    }

    /// The settings of `profile` in a config file: `[profile name]` sections, and `[default]` for the
    /// default profile.
    func configProfile(_ profile: String) -> [String: String]? {
        for (name, settings) in sections {
            let words = name.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2, words[0] == "profile", words[1] == profile { return settings }
        }
        return profile == "default" ? sections["default"] : nil
    }
}
