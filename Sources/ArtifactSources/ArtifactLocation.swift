public import ArtifactFormats
public import Foundation

/// Where the models root is, as the `MODELS` setting names it.
///
/// - a local path (a models root with `LATEST`, or one version folder), also as `file:///path`;
/// - `http://host[:port]/path` or `https://…`: the models root served over HTTP(S), so
///   `<url>/LATEST` and `<url>/<version>/manifest.json` exist;
/// - `s3://bucket/prefix`: the same layout under `prefix/` in an S3 bucket (or an S3-compatible store,
///   see ``S3Settings``).
public enum ArtifactLocation: Sendable, Equatable, CustomStringConvertible {
    case local(path: String)
    case http(baseURL: URL)
    /// `prefix` has no leading or trailing slash and is empty for the bucket's root.
    case s3(bucket: String, prefix: String)

    /// Parses a `MODELS` setting. Throws an error that says what is wrong and what is accepted.
    public init(parsing setting: String) throws(ArtifactError) {
        let text = setting.trimmingCharacters(in: .whitespacesAndNewlines)
        func bad(_ why: String) -> ArtifactError {
            ArtifactError(file: text.isEmpty ? "MODELS" : text, .malformed(
                "\(why) (expected a local folder, an http(s):// URL of the models root, or s3://bucket/prefix)"))
        }
        guard !text.isEmpty else { throw bad("the models location is empty") }
        guard let schemeEnd = text.range(of: "://"),
              Self.isScheme(text[..<schemeEnd.lowerBound]) else {
            self = .local(path: text)
            return
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = String(text[schemeEnd.upperBound...])
        switch scheme {
        case "file":
            guard rest.hasPrefix("/") else { throw bad("a file URL must be file:///absolute/path") }
            self = .local(path: rest.removingPercentEncoding ?? rest)
        case "http", "https":
            guard let url = URL(string: text), let host = url.host, !host.isEmpty else {
                throw bad("not a valid URL")
            }
            guard url.query == nil, url.fragment == nil else { throw bad("the URL must not have a query or fragment") }
            var base = text
            while base.hasSuffix("/") { base.removeLast() }
            guard let trimmed = URL(string: base) else { throw bad("not a valid URL") }
            self = .http(baseURL: trimmed)
        case "s3":
            let bucket = String(rest.prefix { $0 != "/" })
            guard Self.isBucketName(bucket) else {
                throw bad("\"\(bucket)\" is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)")
            }
            var prefix = String(rest.dropFirst(bucket.count))
            while prefix.hasPrefix("/") { prefix.removeFirst() }
            while prefix.hasSuffix("/") { prefix.removeLast() }
            let parts = prefix.split(separator: "/", omittingEmptySubsequences: false)
            guard prefix.isEmpty || !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw bad("the S3 prefix \"\(prefix)\" has empty, \".\" or \"..\" parts")
            }
            self = .s3(bucket: bucket, prefix: prefix)
        default:
            throw ArtifactError(file: text, .unsupported(
                "\(scheme):// locations are not supported; use a local folder, http(s):// or s3://"))
        }
    }

    public var description: String {
        switch self {
        case .local(let path): path
        case .http(let url): Self.redacted(url)
        case .s3(let bucket, let prefix): prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        }
    }

    /// The URL without a password or credential query parameters, for logs and errors.
    static func redacted(_ url: URL) -> String {
        CredentialRedaction.redactingURL(url.absoluteString)
    }

    /// RFC 3986 scheme syntax; anything else before "://" is part of a local path.
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)
        }
    }

    /// S3's rules for bucket names (the current ones; legacy upper-case names are not accepted).
    static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isAlnum(_ b: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        }
        guard isAlnum(bytes.first!), isAlnum(bytes.last!), !name.contains("..") else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}
