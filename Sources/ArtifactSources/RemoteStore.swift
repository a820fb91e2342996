import ArtifactFormats
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// What differs between remote models roots (plain HTTP(S), S3): how a GET of one object is made, how
/// the object is named in messages, and how the store explains a refusal.
///
/// Paths are relative to the models root: `LATEST`, `<version>/manifest.json`, `<version>/<file>`.
protocol RemoteStore: Sendable {
    /// A GET request for `path`, built anew for every attempt (S3 signs it with the current time).
    func request(for path: String) throws(ArtifactError) -> URLRequest

    /// `path` as an operator would look for it: a URL, or `s3://bucket/key`.
    func displayName(for path: String) -> String

    /// An error that explains a non-2xx answer better than its status code (S3's error codes), or nil
    /// for the default (`.missing` for 404, the status and body otherwise).
    func explain(status: Int, body: [UInt8], path: String) -> ArtifactError?
}

/// A models root served over plain HTTP(S): each path is a GET below the base URL.
struct HTTPStore: RemoteStore {
    let baseURL: URL

    func request(for path: String) throws(ArtifactError) -> URLRequest {
        guard let url = URL(string: baseURL.absoluteString + "/" + awsPercentEncode(path, keepSlash: true)) else {
            throw ArtifactError(file: displayName(for: path), .malformed("cannot form a URL"))
        }
        return URLRequest(url: url)
    }

    func displayName(for path: String) -> String {
        ArtifactLocation.redacted(baseURL) + "/" + path
    }

    func explain(status: Int, body: [UInt8], path: String) -> ArtifactError? { nil }
}
