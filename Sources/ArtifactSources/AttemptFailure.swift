import ArtifactFormats
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// Why one attempt at a GET failed, and whether another attempt could succeed.
enum AttemptFailure: Sendable {
    /// A network error (an NSURLError code): refused, reset, DNS, TLS…
    case transport(code: Int)
    /// No connection, response head or body bytes for the request timeout.
    case idleTimeout
    /// The file's overall deadline passed.
    case deadline
    /// The server answered with a status other than 2xx.
    case status(Int, body: [UInt8])
    /// The body is (declared or found) longer than allowed; it was cut off.
    case tooLarge(limit: Int, received: Int)
    case sizeMismatch(expected: Int, actual: Int)
    case checksumMismatch(expected: String, actual: String)
    /// Writing the downloaded bytes failed.
    case local(String)
    case cancelled
    /// Refused for safety before or instead of a transfer (plain http, an https→http redirect).
    case insecure(String)

    /// Connection trouble, timeouts and server errors may pass; a refusal (4xx) or wrong bytes would
    /// only repeat, and the deadline is for all attempts together.
    var isRetryable: Bool {
        switch self {
        case .transport(let code): !Self.permanentTransportCodes.contains(code)
        case .idleTimeout: true
        case .status(let status, _): status >= 500
        case .deadline, .tooLarge, .sizeMismatch, .checksumMismatch, .local, .cancelled, .insecure: false
        }
    }

    private static let permanentTransportCodes: Set<Int> = [
        NSURLErrorCancelled, NSURLErrorBadURL, NSURLErrorUnsupportedURL, NSURLErrorHTTPTooManyRedirects,
        NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateUntrusted,
        NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid,
        NSURLErrorClientCertificateRejected, NSURLErrorClientCertificateRequired,
    ]

    /// The error to report for `path` once no further attempt will be made.
    func artifactError(path: String, store: any RemoteStore, attempts: Int, elapsed: Duration,
                       settings: DownloadSettings) -> ArtifactError {
        let name = store.displayName(for: path)
        let tries = attempts > 1 ? " (gave up after \(attempts) attempts in \(Self.seconds(elapsed)))" : ""
        switch self {
        case .transport(let code):
            return ArtifactError(file: name, .unreadable(Self.describe(transport: code) + tries))
        case .idleTimeout:
            return ArtifactError(file: name, .unreadable(
                "timed out: no connection, answer or data for \(settings.requestTimeoutSeconds) s\(tries)"))
        case .deadline:
            return ArtifactError(file: name, .unreadable(
                "timed out: the download took longer than its \(Self.seconds(settings.fileDeadline)) deadline\(tries)"))
        case .status(let status, let body):
            if let explained = store.explain(status: status, body: body, path: path) { return explained }
            if status == 404 { return ArtifactError(file: name, .missing) }
            return ArtifactError(file: name, .unreadable("the server answered \(Self.describe(status: status, body: body))\(tries)"))
        case .tooLarge(let limit, let received):
            return ArtifactError(file: name, .sizeMismatch(expected: limit, actual: received))
        case .sizeMismatch(let expected, let actual):
            return ArtifactError(file: name, .sizeMismatch(expected: expected, actual: actual))
        case .checksumMismatch(let expected, let actual):
            return ArtifactError(file: name, .checksumMismatch(expected: expected, actual: actual))
        case .local(let why):
            return ArtifactError(file: name, .unreadable(why))
        case .cancelled:
            return ArtifactError(file: name, .unreadable("download cancelled"))
        case .insecure(let why):
            return ArtifactError(file: name, .insecure(why))
        }
    }

    static func describe(status: Int, body: [UInt8]) -> String {
        var text = "HTTP \(status) (\(HTTPURLResponse.localizedString(forStatusCode: status)))"
        let snippet = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        if !snippet.isEmpty, snippet.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) { text += ": \(snippet)" }
        return text
    }

    private static func describe(transport code: Int) -> String {
        switch code {
        case NSURLErrorCannotConnectToHost: "cannot connect to the server (connection refused or unreachable)"
        case NSURLErrorNetworkConnectionLost: "the connection was lost during the transfer"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: "cannot resolve the server's host name"
        case NSURLErrorNotConnectedToInternet: "no network connection"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateUntrusted,
             NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid:
            "TLS failed (handshake or server certificate; NSURLError \(code))"
        case NSURLErrorBadServerResponse, NSURLErrorCannotParseResponse: "the server sent an invalid HTTP response"
        case NSURLErrorHTTPTooManyRedirects: "too many redirects"
        case NSURLErrorBadURL, NSURLErrorUnsupportedURL: "the URL is not usable"
        default: "network error (NSURLError \(code))"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value < 10 ? String(format: "%.1f s", value) : "\(Int(value.rounded())) s"
    }
}
