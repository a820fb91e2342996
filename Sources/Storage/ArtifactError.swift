/// Something wrong with one artifact file, said so that an operator can act on it.
public struct ArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong with the file.
    public enum Problem: Equatable, Sendable {
        case missing
        case unreadable(String)
        case sizeMismatch(expected: Int, actual: Int)
        case checksumMismatch(expected: String, actual: String)
        case malformed(String)
        case unsupported(String)
    }

    /// The file, relative to the version folder when it belongs to one. A URL's credentials are
    /// masked (``CredentialRedaction``): the file is named in logs, answers and exit messages.
    public let file: String
    public let problem: Problem

    public init(file: String, _ problem: Problem) {
        self.file = CredentialRedaction.redactingURLs(in: file)
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .missing: "\(file): file is missing"
        case .unreadable(let why): "\(file): cannot be read (\(why))"
        case .sizeMismatch(let expected, let actual):
            "\(file): is \(actual) bytes, the manifest says \(expected) (truncated or replaced?)"
        case .checksumMismatch(let expected, let actual):
            "\(file): sha256 is \(actual), the manifest says \(expected) (corrupted or replaced?)"
        case .malformed(let why): "\(file): malformed: \(why)"
        case .unsupported(let why): "\(file): unsupported: \(why)"
        }
    }
}
