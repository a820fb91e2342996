import ArtifactFormats
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// Objects under `s3://bucket/prefix/`, fetched with SigV4-signed GETs from AWS or a custom endpoint.
///
/// Every request is signed with the credentials `credentials` holds at that moment, so temporary
/// credentials refreshed during a long download are picked up by the next file.
struct S3Store: RemoteStore {
    let bucket: String
    let prefix: String
    let settings: S3Settings
    let credentials: AWSCredentialCache

    /// `credentials` defaults to a cache of `settings.credentialProvider` of this store's own.
    init(bucket: String, prefix: String, settings: S3Settings, credentials: AWSCredentialCache? = nil) {
        self.bucket = bucket
        self.prefix = prefix
        self.settings = settings
        self.credentials = credentials ?? AWSCredentialCache(provider: settings.credentialProvider,
                                                             refreshMargin: settings.credentialRefreshMargin)
    }

    func key(for path: String) -> String { prefix.isEmpty ? path : prefix + "/" + path }

    /// The URL of `key`, with the Host header the client will send for it and the encoded path (both
    /// signed, so they must be exactly what goes on the wire).
    func address(of key: String) -> (url: URL?, host: String, path: String) {
        let domain = settings.region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let endpoint = settings.endpoint ?? URL(string: "https://s3.\(settings.region).\(domain)")
        let components = endpoint.flatMap { URLComponents(url: $0, resolvingAgainstBaseURL: false) }
        let scheme = components?.scheme?.lowercased() ?? "https"
        var host = components?.host ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        // libcurl leaves a default port out of the Host header; the signed host must match.
        if let port = components?.port, port != (scheme == "https" ? 443 : 80) { host += ":\(port)" }
        var basePath = components?.percentEncodedPath ?? ""
        while basePath.hasSuffix("/") { basePath.removeLast() }
        let encodedKey = awsPercentEncode(key, keepSlash: true)
        // A dotted bucket name does not fit the TLS certificate of the virtual-hosted name.
        let virtualHosted = !settings.pathStyle && !bucket.contains(".")
        let hostHeader = virtualHosted ? "\(bucket).\(host)" : host
        let path = virtualHosted ? "\(basePath)/\(encodedKey)" : "\(basePath)/\(bucket)/\(encodedKey)"
        return (URL(string: "\(scheme)://\(hostHeader)\(path)"), hostHeader, path)
    }

    func request(for path: String) throws(ArtifactError) -> URLRequest {
        let address = address(of: key(for: path))
        guard let url = address.url else {
            throw ArtifactError(file: displayName(for: path), .malformed("cannot form the object's URL"))
        }
        // RemoteStore builds requests synchronously: the source awaits fresh credentials before it
        // starts (S3ArtifactSource), and here the cached ones are taken (a refresh that falls due
        // mid-download runs in the background for the next request).
        let current: AWSCredentials
        do {
            current = try credentials.current()
        } catch {
            throw ArtifactError(file: displayName(for: path), .unreadable("no usable AWS credentials: \(error)"))
        }
        let signer = SigV4Signer(credentials: current, region: settings.region, service: "s3")
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        let headers = signer.signatureHeaders(method: "GET", host: address.host, path: address.path,
                                              payloadSHA256: SigV4Signer.emptyPayloadSHA256)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    func displayName(for path: String) -> String { "s3://\(bucket)/\(key(for: path))" }

    func explain(status: Int, body: [UInt8], path: String) -> ArtifactError? {
        let reply = S3ErrorResponse(body: body)
        let name = displayName(for: path)
        let key = key(for: path)
        let said = reply.message.map { " S3 says: \($0)" } ?? ""
        let answer = "S3 answered \(status) \(reply.code ?? HTTPURLResponse.localizedString(forStatusCode: status))"
        let object = "for bucket \"\(bucket)\", key \"\(key)\""
        let credentials = self.credentials.summary
        let tokenHint = self.credentials.provider is StaticCredentialProvider ? " (AWS_SESSION_TOKEN)" : ""
        switch reply.code {
        case "InvalidAccessKeyId":
            return ArtifactError(file: name, .unreadable(
                "\(answer) \(object): S3 does not know the access key (\(credentials)); check the AWS credentials.\(said)"))
        case "SignatureDoesNotMatch":
            return ArtifactError(file: name, .unreadable(
                "\(answer) \(object): the secret key does not match the access key (\(credentials)); check the AWS credentials.\(said)"))
        case "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
            return ArtifactError(file: name, .unreadable(
                "\(answer) \(object): the session token is invalid or expired (\(credentials)); check the AWS credentials\(tokenHint).\(said)"))
        case "NoSuchBucket":
            return ArtifactError(file: name, .unreadable("\(answer): bucket \"\(bucket)\" does not exist at this endpoint.\(said)"))
        case "NoSuchKey":
            return ArtifactError(file: name, .missing)
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return ArtifactError(file: name, .unreadable(
                "\(answer) \(object): the bucket is in another region than \(settings.region); set AWS_REGION.\(said)"))
        default:
            guard status == 403 else { return nil }
            return ArtifactError(file: name, .unreadable(
                "\(answer) \(object): access denied for \(credentials); check the AWS credentials and that they may s3:GetObject there.\(said)"))
        }
    }
}
