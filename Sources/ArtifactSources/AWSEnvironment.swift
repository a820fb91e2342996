import ArtifactFormats
import Foundation

/// Credentials and region the way AWS SDKs find them, from a given environment (so tests and callers
/// control it) and the shared files it points to.
///
/// Static credentials: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the
/// profile `AWS_PROFILE` (default `default`) in the credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
/// default `~/.aws/credentials`), else the same profile in the config file (`AWS_CONFIG_FILE`, default
/// `~/.aws/config`, `[profile name]` sections); the role providers after them are picked by
/// ``AWSCredentialChain``. Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the
/// profile's `region` in the config file, else `us-east-1`.
struct AWSEnvironment {
    let environment: [String: String]
    let profile: String
    let credentialsPath: String
    let configPath: String
    /// The two shared files, read once; nil when missing or unreadable.
    let credentialsFile: AWSProfileFile?
    let configFile: AWSProfileFile?

    init(_ environment: [String: String]) {
        self.environment = environment
        let home = Self.value("HOME", in: environment) ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            path == "~" ? home : path.hasPrefix("~/") ? home + path.dropFirst() : path
        }
        profile = Self.value("AWS_PROFILE", in: environment) ?? "default"
        credentialsPath = expand(Self.value("AWS_SHARED_CREDENTIALS_FILE", in: environment) ?? "~/.aws/credentials")
        configPath = expand(Self.value("AWS_CONFIG_FILE", in: environment) ?? "~/.aws/config")
        credentialsFile = AWSProfileFile(path: credentialsPath)
        configFile = AWSProfileFile(path: configPath)
    }

    /// A non-empty, trimmed environment value.
    static func value(_ name: String, in environment: [String: String]) -> String? {
        guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
        return raw
    }

    func value(_ name: String) -> String? { Self.value(name, in: environment) }

    /// Long-term keys (or a session token) from the environment or the profile, nil when neither has
    /// any; an error naming `location` when they are there but incomplete, or AWS_PROFILE names a
    /// profile that does not exist.
    func staticCredentials(for location: String) throws(ArtifactError) -> AWSCredentials? {
        let keyID = value("AWS_ACCESS_KEY_ID")
        let secret = value("AWS_SECRET_ACCESS_KEY")
        switch (keyID, secret) {
        case let (keyID?, secret?):
            return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
                                  source: "the environment (AWS_ACCESS_KEY_ID)")
        case (_?, nil), (nil, _?):
            throw ArtifactError(file: location, .unreadable(
                "AWS credentials are incomplete: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use a profile"))
        case (nil, nil):
            break
        }
        let fromCredentials = credentialsFile?.credentialsProfile(profile)
        let fromConfig = configFile?.configProfile(profile)
        for (settings, file) in [(fromCredentials, credentialsPath), (fromConfig, configPath)] {
            guard let settings else { continue }
            let keyID = settings["aws_access_key_id"]
            let secret = settings["aws_secret_access_key"]
            if let keyID, let secret {
                return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: settings["aws_session_token"],
                                      source: "profile \(profile) in \(file)")
            }
            if keyID != nil || secret != nil {
                throw ArtifactError(file: location, .unreadable(
                    "AWS profile \(profile) in \(file) needs both aws_access_key_id and aws_secret_access_key"))
            }
        }
        if value("AWS_PROFILE") != nil, fromCredentials == nil, fromConfig == nil {
            throw ArtifactError(file: location, .unreadable(
                "AWS_PROFILE is \(profile), but there is no such profile in \(credentialsPath) or \(configPath)"))
        }
        return nil
    }

    /// The region requests are signed for.
    var region: String {
        value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? configFile?.configProfile(profile)?["region"] ?? "us-east-1"
    }
}
