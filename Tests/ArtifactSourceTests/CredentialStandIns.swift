@testable import ArtifactSources
import Foundation
import HTTPServer
import Logging
import Synchronization

/// A value behind a lock that closures and the object holding them can share (Mutex itself cannot be
/// copied into a closure).
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// A loopback HTTP server on this repository's HTTPServer that records every request and answers with
/// `respond`: the base of the credential endpoint stand-ins below.
final class StandInServer: Sendable {
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    let port: Int
    private let server: HTTPServer
    private let log: Shared<[Request]>

    init(respond: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) throws {
        var quiet = Logger(label: "credential-stand-in")
        quiet.logLevel = .critical
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.lingerTimeout = .milliseconds(100)
        let log = Shared<[Request]>([])
        self.log = log
        let server = HTTPServer(configuration: configuration, logger: quiet) { request in
            log.withLock { $0.append(Request(method: request.method, path: request.path, headers: request.headers, body: request.body)) }
            return await respond(request)
        }
        self.port = try server.start()
        self.server = server
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var requests: [Request] { log.withLock { $0 } }

    func stop() async {
        await server.shutdown(gracePeriod: .milliseconds(200))
    }
}

/// Credentials a stand-in hands out: numbered per fetch, so a test can tell a refresh from a cache hit.
struct IssuedCredentials: Sendable {
    /// Key ID prefix; the fetch number is appended unless `fixedKeys` is set.
    var keyPrefix = "ASIASTANDIN"
    /// Long-term keys to hand out as they are (moto's IAM user), without a session token.
    var fixedKeys: (id: String, secret: String)?
    /// Lifetime of each answer.
    var lifetime: TimeInterval = 3600

    func json(number: Int, code: String? = nil) -> String {
        let expiration = AWSTimestamp.format(Date().addingTimeInterval(lifetime))
        var fields: [String: String] = ["Expiration": expiration]
        if let fixedKeys {
            fields["AccessKeyId"] = fixedKeys.id
            fields["SecretAccessKey"] = fixedKeys.secret
        } else {
            fields["AccessKeyId"] = "\(keyPrefix)\(number)"
            fields["SecretAccessKey"] = "secret-\(number)"
            fields["Token"] = "session-token-\(number)"
        }
        if let code { fields["Code"] = code }
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// The ECS / EKS Pod Identity container credentials endpoint: any GET path answers credentials JSON,
/// when the `Authorization` header matches `requiredAuthorization`.
final class ContainerCredentialsStandIn: Sendable {
    struct Behaviour: Sendable {
        var issued = IssuedCredentials(keyPrefix: "ASIACONTAINER")
        var requiredAuthorization: String?
        /// Answer every request with this status (a broken endpoint).
        var failStatus: Int?
        /// Wait this long before answering (to make concurrent callers overlap).
        var delay: Duration = .zero
    }

    let server: StandInServer
    private let behaviour: Shared<Behaviour>
    private let fetches: Shared<Int>

    init(_ behaviour: Behaviour = Behaviour()) throws {
        let state = Shared(behaviour)
        let fetches = Shared(0)
        self.behaviour = state
        self.fetches = fetches
        server = try StandInServer { request in
            let now = state.withLock { $0 }
            if now.delay > .zero { try? await Task.sleep(for: now.delay) }
            guard request.method == "GET" else { return HTTPResponse(status: .methodNotAllowed) }
            if let status = now.failStatus { return HTTPResponse(status: HTTPStatus(status), body: "stand-in failure") }
            if let required = now.requiredAuthorization, request.headers["authorization"] != required {
                return HTTPResponse(status: .unauthorized, body: "{\"message\":\"invalid authorization token\"}")
            }
            let number = fetches.withLock { count -> Int in
                count += 1
                return count
            }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: now.issued.json(number: number))
        }
    }

    /// `http://127.0.0.1:<port>/v2/credentials/stand-in`, for AWS_CONTAINER_CREDENTIALS_FULL_URI.
    var url: String { server.baseURL.absoluteString + "/v2/credentials/stand-in" }
    /// Credentials handed out so far.
    var fetchCount: Int { fetches.withLock { $0 } }

    func change(_ update: (inout Behaviour) -> Void) {
        behaviour.withLock { update(&$0) }
    }
}

/// The EC2 instance metadata service, IMDSv2 only: a GET without a token it issued is refused with 401,
/// as on an instance that requires tokens.
final class InstanceMetadataStandIn: Sendable {
    static let role = "pricing-instance-role"
    let server: StandInServer
    private let fetches: Shared<Int>

    init(code: String = "Success", issued: IssuedCredentials = IssuedCredentials(keyPrefix: "ASIAIMDS")) throws {
        let tokens = Shared<Set<String>>([])
        let fetches = Shared(0)
        self.fetches = fetches
        server = try StandInServer { request in
            let credentialsPath = "/latest/meta-data/iam/security-credentials/"
            switch (request.method, request.path) {
            case ("PUT", "/latest/api/token"):
                guard let ttl = request.headers["x-aws-ec2-metadata-token-ttl-seconds"], let seconds = Int(ttl),
                      (1...21_600).contains(seconds) else {
                    return HTTPResponse(status: .badRequest, body: "missing or invalid TTL")
                }
                let token = "imds-token-\(UUID().uuidString)"
                tokens.withLock { _ = $0.insert(token) }
                return HTTPResponse(status: .ok, body: token)
            case ("GET", _):
                guard let token = request.headers["x-aws-ec2-metadata-token"], tokens.withLock({ $0.contains(token) }) else {
                    return HTTPResponse(status: .unauthorized, body: "")
                }
                if request.path == credentialsPath { return HTTPResponse(status: .ok, body: Self.role) }
                guard request.path == credentialsPath + Self.role else { return HTTPResponse(status: .notFound, body: "") }
                let number = fetches.withLock { count -> Int in
                    count += 1
                    return count
                }
                return HTTPResponse(status: .ok, body: issued.json(number: number, code: code))
            default:
                return HTTPResponse(status: .methodNotAllowed)
            }
        }
    }

    var fetchCount: Int { fetches.withLock { $0 } }
}

/// STS answering AssumeRoleWithWebIdentity the way AWS does (XML), recording each form it was sent,
/// or refusing with an STS error code.
final class STSStandIn: Sendable {
    let server: StandInServer
    private let forms: Shared<[[String: String]]>
    private let errorCode: Shared<String?>

    init(lifetime: TimeInterval = 3600) throws {
        let forms = Shared<[[String: String]]>([])
        let errorCode = Shared<String?>(nil)
        self.forms = forms
        self.errorCode = errorCode
        server = try StandInServer { request in
            guard request.method == "POST" else { return HTTPResponse(status: .methodNotAllowed) }
            var form: [String: String] = [:]
            for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            let number = forms.withLock { forms -> Int in
                forms.append(form)
                return forms.count
            }
            if let code = errorCode.withLock({ $0 }) {
                return HTTPResponse(status: .badRequest, headers: ["Content-Type": "text/xml"], body: """
                    <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>\
                    <Code>\(code)</Code><Message>Incorrect token audience</Message></Error>\
                    <RequestId>c0ffee</RequestId></ErrorResponse>
                    """)
            }
            let expiration = AWSTimestamp.format(Date().addingTimeInterval(lifetime)).replacingOccurrences(of: "Z", with: ".250Z")
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/xml"], body: """
                <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <AssumeRoleWithWebIdentityResult>
                    <Credentials>
                      <AccessKeyId>ASIASTS\(number)</AccessKeyId>
                      <SecretAccessKey>sts-secret-\(number)</SecretAccessKey>
                      <SessionToken>sts-session-\(number)</SessionToken>
                      <Expiration>\(expiration)</Expiration>
                    </Credentials>
                  </AssumeRoleWithWebIdentityResult>
                </AssumeRoleWithWebIdentityResponse>
                """)
        }
    }

    /// The forms received, in order.
    var received: [[String: String]] { forms.withLock { $0 } }

    func refuse(with code: String?) {
        errorCode.withLock { $0 = code }
    }
}
