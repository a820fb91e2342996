#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation
import ArtifactSources
import Storage
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// moto's S3 server from the repository's Python environment (`.venv`, `make python-deps`), started
/// once for the S3 tests, with authentication enforced.
///
/// moto checks signatures and IAM permissions once `INITIAL_NO_AUTH_ACTION_COUNT` actions have been
/// served unauthenticated. The harness spends exactly those on IAM setup (CreateUser, CreateAccessKey,
/// PutUserPolicy allowing s3:*); everything after, from creating the bucket on, must be signed with
/// that user's keys, and moto recomputes each signature with botocore, so a wrong secret is refused
/// with 403 SignatureDoesNotMatch as AWS would.
final class MotoServer: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let bucket = "pricing-models-test"
    /// Key prefix of the models root in the bucket.
    static let prefix = "models/team-a"
    /// Actions moto serves before it enforces auth; the IAM setup below uses all of them.
    private static let unauthenticatedActions = 3

    let port: Int
    let accessKeyID: String
    let secretAccessKey: String
    let version: String
    private let moto: MotoProcess

    var endpoint: URL { moto.endpoint }

    private init(moto: MotoProcess, accessKeyID: String, secretAccessKey: String, version: String) {
        self.port = moto.port
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.version = version
        self.moto = moto
    }

    // MARK: shared instance

    private static let shared = Mutex<Task<MotoServer, any Error>?>(nil)
    private static let running = Mutex<MotoServer?>(nil)

    /// The server for this test run, started (and filled with the committed models) on first use.
    static func get() async throws -> MotoServer {
        let task = shared.withLock { current in
            if let current { return current }
            let task = Task { try await MotoServer.start() }
            current = task
            return task
        }
        return try await task.value
    }

    /// Stops the shared server, if one was started.
    static func stopShared() {
        shared.withLock { $0 = nil }
        let server = running.withLock { server in
            defer { server = nil }
            return server
        }
        server?.stop()
    }

    // MARK: lifecycle

    private static func start() async throws -> MotoServer {
        let moto = try await MotoProcess.start(unauthenticatedActions: unauthenticatedActions, label: "moto")
        do {
            let (keyID, secret) = try await createUser(port: moto.port)
            let version = try await uploadCommittedModels(port: moto.port, credentials: AWSCredentials(accessKeyID: keyID, secretAccessKey: secret))
            let server = MotoServer(moto: moto, accessKeyID: keyID, secretAccessKey: secret, version: version)
            running.withLock { $0 = server }
            return server
        } catch {
            moto.stop()
            throw error
        }
    }

    func stop() {
        moto.stop()
    }

    static func waitForPort(_ port: Int, process: Process, logPath: String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline {
            guard process.isRunning else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw Failure(description: "moto_server exited at start-up (status \(process.terminationStatus)): \(log)")
            }
            if (try? TestClientProbe.connect(port: port)) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "moto_server did not open port \(port) within 30 s")
    }

    // MARK: requests

    /// IAM setup in the unauthenticated window: a user with an access key and an s3:* policy.
    private static func createUser(port: Int) async throws -> (String, String) {
        let setupKeys = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "setup-only")
        let user = "pricing-models-reader"
        _ = try await iam(port: port, credentials: setupKeys, ["Action": "CreateUser", "UserName": user])
        let created = try await iam(port: port, credentials: setupKeys, ["Action": "CreateAccessKey", "UserName": user])
        guard let keyID = element("AccessKeyId", in: created), let secret = element("SecretAccessKey", in: created) else {
            throw Failure(description: "CreateAccessKey answered without keys: \(created)")
        }
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        _ = try await iam(port: port, credentials: setupKeys,
                          ["Action": "PutUserPolicy", "UserName": user, "PolicyName": "s3-all", "PolicyDocument": policy])
        return (keyID, secret)
    }

    /// Creates the bucket and uploads LATEST and the committed version under `prefix`, with signed PUTs.
    static func uploadCommittedModels(port: Int, credentials: AWSCredentials) async throws -> String {
        try await put(port: port, credentials: credentials, path: "/\(bucket)", body: [])
        let version = (try CommittedModels.versionPath() as NSString).lastPathComponent
        try await put(port: port, credentials: credentials, path: "/\(bucket)/\(prefix)/LATEST", body: Array((version + "\n").utf8))
        for (file, bytes) in try committedVersionFiles() {
            try await put(port: port, credentials: credentials, path: "/\(bucket)/\(prefix)/\(version)/\(file)", body: bytes)
        }
        return version
    }

    /// A signed PUT (path-style; `path` needs no percent-encoding).
    static func put(port: Int, credentials: AWSCredentials, path: String, body: [UInt8]) async throws {
        let host = "127.0.0.1:\(port)"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        var request = URLRequest(url: URL(string: "http://\(host)\(path)")!)
        request.httpMethod = "PUT"
        for (name, value) in signer.signatureHeaders(method: "PUT", host: host, path: path, payloadSHA256: sha256Hex(body)) {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.upload(for: request, from: Data(body))
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw Failure(description: "PUT \(path) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
    }

    /// A signed IAM query-API call; moto routes it to IAM by the signature's credential scope.
    static func iam(port: Int, credentials: AWSCredentials, _ parameters: [String: String]) async throws -> String {
        let host = "127.0.0.1:\(port)"
        var form = parameters
        form["Version"] = "2010-05-08"
        let body = Array(form.sorted { $0.key < $1.key }.map { "\(formEncode($0.key))=\(formEncode($0.value))" }
            .joined(separator: "&").utf8)
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "iam")
        var request = URLRequest(url: URL(string: "http://\(host)/")!)
        request.httpMethod = "POST"
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        for (name, value) in signer.signatureHeaders(method: "POST", host: host, path: "/", headers: ["Content-Type": contentType],
                                                     payloadSHA256: sha256Hex(body)) {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.upload(for: request, from: Data(body))
        let text = String(decoding: data, as: UTF8.self)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw Failure(description: "IAM \(parameters["Action"] ?? "?") failed: \(text)")
        }
        return text
    }

    private static func formEncode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else {
            return nil
        }
        return String(text[open.upperBound..<close.lowerBound])
    }

    /// A port that was free a moment ago (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw Failure(description: "cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
enum TestClientProbe {
    static func connect(port: Int) throws -> Bool {
        _ = try TestClient(port: port, timeout: 1)
        return true
    }
}
