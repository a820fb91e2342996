import ArtifactFormats
import Foundation

/// Picks the credential provider the way the AWS SDKs' default chain does, from the environment:
///
/// 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
/// 2. the profile `AWS_PROFILE` in the shared credentials or config file;
/// 3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (EKS IRSA) → STS;
/// 4. container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI` (ECS, EKS Pod Identity);
/// 5. EC2 instance metadata (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
///
/// The first source that is configured is the one used, and its failures are reported as they are
/// rather than hidden behind the next source's (a broken web identity setup should not surface as an
/// IMDS timeout). Configuration mistakes throw here, at start-up; IMDS, the fallback, can only be found
/// missing by asking it, so its error also lists what was looked for before it.
enum AWSCredentialChain {
    static func provider(for aws: AWSEnvironment, location: String) throws(ArtifactError) -> any AWSCredentialProvider {
        if let fixed = try aws.staticCredentials(for: location) { return StaticCredentialProvider(fixed) }
        switch (aws.value("AWS_WEB_IDENTITY_TOKEN_FILE"), aws.value("AWS_ROLE_ARN")) {
        case let (tokenFile?, roleARN?):
            return AWSWebIdentityCredentialProvider(
                tokenFile: tokenFile, roleARN: roleARN,
                sessionName: aws.value("AWS_ROLE_SESSION_NAME") ?? AWSWebIdentityCredentialProvider.defaultSessionName(),
                endpoint: try AWSWebIdentityCredentialProvider.endpoint(in: aws))
        case (_?, nil):
            throw ArtifactError(file: location, .unreadable(
                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: web identity needs the role to assume"))
        case (nil, _?):
            throw ArtifactError(file: location, .unreadable(
                "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not: web identity needs the token file"))
        case (nil, nil):
            break
        }
        if let container = try AWSContainerCredentialProvider.configured(in: aws) { return container }
        let tried = "no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, no profile \(aws.profile) "
            + "(AWS_PROFILE) with aws_access_key_id and aws_secret_access_key in \(aws.credentialsPath) or \(aws.configPath), "
            + "no web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), no container credentials "
            + "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI)"
        if aws.value("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" {
            throw ArtifactError(file: location, .unreadable(
                "no AWS credentials: \(tried), and EC2 instance metadata is off (AWS_EC2_METADATA_DISABLED=true)"))
        }
        var endpoint = AWSInstanceMetadataCredentialProvider.defaultEndpoint
        if let text = aws.value("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty else {
                throw ArtifactError(file: "AWS_EC2_METADATA_SERVICE_ENDPOINT", .malformed("\"\(text)\" is not an http(s) URL"))
            }
            endpoint = url
        }
        return AWSInstanceMetadataCredentialProvider(endpoint: endpoint, triedBefore: tried)
    }
}
