#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// The small HTTP exchanges of the credential providers (STS, the container endpoint, IMDS): short
/// timeouts and few attempts, because a credential endpoint is either right there or not at all, and a
/// machine that is not on AWS must fail fast.
///
/// One URLSession per client, invalidated with it; the providers each own one.
final class AWSCredentialHTTPClient: Sendable {
    struct Response: Sendable {
        let status: Int
        let body: [UInt8]
    }

    /// What an exchange failed with, said for an operator: the URL and the status or network error.
    struct Failure: Error, Sendable {
        let description: String
    }

    let timeoutSeconds: Int
    let attempts: Int
    private let session: URLSession

    /// - Parameters:
    ///   - timeoutSeconds: for connecting and for the answer (URLSession on Linux counts whole seconds).
    ///   - attempts: tries per exchange; network errors and 5xx answers are retried, at once.
    init(timeoutSeconds: Int, attempts: Int) {
        self.timeoutSeconds = max(1, timeoutSeconds)
        self.attempts = max(1, attempts)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = TimeInterval(self.timeoutSeconds)
        configuration.timeoutIntervalForResource = TimeInterval(self.timeoutSeconds * 2)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// Sends one request, retrying network errors and 5xx answers. Any other answer is returned as is;
    /// `what` names the exchange in errors ("GET http://169.254.170.2/v2/credentials/…").
    func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: [UInt8]? = nil,
              what: String) async throws(Failure) -> Response {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = TimeInterval(timeoutSeconds)
        request.cachePolicy = .reloadIgnoringLocalCacheData
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        var lastFailure = Failure(description: "\(what): not attempted")
        for _ in 0..<attempts {
            do {
                let (data, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                let answer = Response(status: status, body: [UInt8](data))
                guard status >= 500 else { return answer }
                lastFailure = Failure(description: "\(what) answered \(Self.describe(status: status, body: answer.body))")
            } catch {
                lastFailure = Failure(description: "\(what) failed: \(describe(error))")
                if Task.isCancelled { break }
            }
        }
        let tries = attempts > 1 ? " (\(attempts) attempts)" : ""
        throw Failure(description: lastFailure.description + tries)
    }

    /// "HTTP 403 (forbidden): <start of the body>", the body only when it is short printable text.
    /// Credential endpoints answer errors with a message, never with credentials.
    static func describe(status: Int, body: [UInt8]) -> String {
        var text = "HTTP \(status) (\(HTTPURLResponse.localizedString(forStatusCode: status)))"
        let snippet = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        if !snippet.isEmpty, snippet.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) { text += ": \(snippet)" }
        return text
    }

    private func describe(_ error: any Error) -> String {
        let code = (error as? URLError)?.errorCode ?? (error as NSError).code
        switch code {
        case NSURLErrorTimedOut: return "timed out after \(timeoutSeconds) s"
        case NSURLErrorCannotConnectToHost: return "cannot connect (connection refused or unreachable)"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "cannot resolve the host name"
        case NSURLErrorNotConnectedToInternet: return "no network connection"
        case NSURLErrorNetworkConnectionLost: return "the connection was lost"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasUnknownRoot,
             NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateNotYetValid:
            return "TLS failed (NSURLError \(code))"
        case NSURLErrorCancelled: return "cancelled"
        default: return "network error (NSURLError \(code))"
        }
    }
}
