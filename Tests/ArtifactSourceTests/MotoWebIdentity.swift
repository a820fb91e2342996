#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation
import ArtifactSources
import TestSupport

/// A moto server of its own for the web identity test, with auth enforced after a short window.
///
/// moto accepts AssumeRoleWithWebIdentity only unsigned-while-unauthenticated (with auth on it wants
/// an Authorization header, which a web identity call does not have), and STS credentials are only
/// good on the server that issued them. So this server's window covers exactly: creating the role,
/// giving it s3:*, and the one AssumeRoleWithWebIdentity the provider under test makes. Everything
/// after that, bucket and uploads included, is checked against the STS credentials.
final class MotoWebIdentityServer: Sendable {
    static let roleARN = "arn:aws:iam::123456789012:role/pricing-models-reader"
    let port: Int
    private let moto: MotoProcess

    var endpoint: URL { moto.endpoint }

    private init(moto: MotoProcess) {
        self.port = moto.port
        self.moto = moto
    }

    static func start() async throws -> MotoWebIdentityServer {
        let moto = try await MotoProcess.start(unauthenticatedActions: 3, label: "moto-web-identity")
        let port = moto.port
        do {
            let setupKeys = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "setup-only")
            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"oidc"},"#
                + #""Action":"sts:AssumeRoleWithWebIdentity"}]}"#
            _ = try await MotoServer.iam(port: port, credentials: setupKeys, [
                "Action": "CreateRole", "RoleName": "pricing-models-reader", "AssumeRolePolicyDocument": trust,
            ])
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
            _ = try await MotoServer.iam(port: port, credentials: setupKeys, [
                "Action": "PutRolePolicy", "RoleName": "pricing-models-reader", "PolicyName": "s3-all", "PolicyDocument": policy,
            ])
        } catch {
            moto.stop()
            throw error
        }
        return MotoWebIdentityServer(moto: moto)
    }

    func stop() {
        moto.stop()
    }
}
