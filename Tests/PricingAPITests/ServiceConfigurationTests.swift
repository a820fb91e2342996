import Foundation
import PricingAPI
import TestSupport
import XCTest

final class ServiceConfigurationTests: XCTestCase {
    func file(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "server-" + UUID().uuidString + ".json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testTheCommittedFileLoadsAndMatchesTheDefaults() throws {
        let committed = try ServiceConfiguration.load(file: CommittedModels.repositoryRoot + "/config/server.json", environment: [:])
        // The defaults pin no key (a shop pins its own); the committed file pins the committed version's.
        var defaults = ServiceConfiguration()
        XCTAssertEqual(defaults.artifactPublicKeys, [])
        XCTAssertFalse(committed.artifactPublicKeys.isEmpty)
        defaults.artifactPublicKeys = committed.artifactPublicKeys
        XCTAssertEqual(committed, defaults)
    }

    func testArtifactTrustSettings() throws {
        let key = "YhyzKJa+qJx2nyoTuTLvoDnyZwb1k7kvn8z8MzlCka4="
        let c = try ServiceConfiguration.load(file: file(#"{"artifact_public_keys": ["\#(key)"]}"#), environment: [
            "ARTIFACT_PUBLIC_KEYS": "\(key), \(key)", "ALLOW_UNSIGNED_ARTIFACTS": "true", "ALLOW_INSECURE_HTTP": "1"])
        XCTAssertEqual(c.artifactPublicKeys, [key, key])
        XCTAssertTrue(c.allowUnsignedArtifacts)
        XCTAssertTrue(c.allowInsecureHTTP)
        XCTAssertEqual(try c.artifactTrust().publicKeys.count, 2)
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["ARTIFACT_PUBLIC_KEYS": "abc"])) { error in
            XCTAssertTrue("\(error)".contains("\"abc\" is not a base64 ed25519 public key"), "\(error)")
        }
        XCTAssertThrowsError(try ServiceConfiguration.load(file: file(#"{"allow_insecure_http": "yes"}"#), environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("allow_insecure_http must be true or false"), "\(error)")
        }
    }

    func testEnvironmentOverridesTheFile() throws {
        let path = try file(#"{"port": 9000, "models": "elsewhere", "cors_allowed_origins": ["https://a.example"], "idle_timeout_seconds": 5}"#)
        let c = try ServiceConfiguration.load(file: path, environment: [
            "PORT": "9100", "CORS_ALLOWED_ORIGINS": "https://b.example, https://c.example", "REDIS_URL": "redis://127.0.0.1:6379",
            "MAX_BODY_BYTES": "2048", "LOG_LEVEL": "debug", "UNRELATED": "x", "REDIS_CLUSTER": "true"])
        XCTAssertTrue(c.redisCluster)
        XCTAssertEqual(c.port, 9100)
        XCTAssertEqual(c.models, "elsewhere")
        XCTAssertEqual(c.corsAllowedOrigins, ["https://b.example", "https://c.example"])
        XCTAssertEqual(c.redisURL, "redis://127.0.0.1:6379")
        XCTAssertEqual(c.idleTimeoutSeconds, 5)
        XCTAssertEqual(c.maxBodyBytes, 2048)
        XCTAssertEqual(c.logLevel, "debug")
    }

    func testFirstLoadIsFastUnlessEagerIsAskedFor() throws {
        XCTAssertEqual(try ServiceConfiguration.load(file: nil, environment: [:]).modelsLoad, .fast)
        XCTAssertEqual(try ServiceConfiguration.load(file: nil, environment: ["MODELS_LOAD": "eager"]).modelsLoad, .eager)
        XCTAssertEqual(try ServiceConfiguration.load(file: file(#"{"models_load": "eager"}"#), environment: [:]).modelsLoad, .eager)
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["MODELS_LOAD": "lazy"])) { error in
            XCTAssertEqual("\(error)", "environment: models_load must be fast or eager")
        }
    }

    func testCacheSecretComesFromTheFileOrTheEnvironmentAndMustBeLongEnough() throws {
        let fromFile = String(repeating: "f", count: 32), fromEnv = String(repeating: "e", count: 40)
        XCTAssertNil(try ServiceConfiguration.load(file: nil, environment: [:]).cacheSecret)
        let path = try file(#"{"cache_secret": "\#(fromFile)"}"#)
        XCTAssertEqual(try ServiceConfiguration.load(file: path, environment: [:]).cacheSecret, fromFile)
        XCTAssertEqual(try ServiceConfiguration.load(file: path, environment: ["CACHE_SECRET": fromEnv]).cacheSecret, fromEnv)
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["CACHE_SECRET": "too-short"])) { error in
            XCTAssertTrue("\(error)".contains("cache_secret (CACHE_SECRET) has 9 bytes, at least 32 are needed"), "\(error)")
            XCTAssertFalse("\(error)".contains("too-short"), "the message must not echo the secret")
        }
        XCTAssertThrowsError(try ServiceConfiguration.load(file: file(#"{"cache_secret": 5}"#), environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("cache_secret must be a string or null"), "\(error)")
        }
    }

    func testBadSettingsNameTheSettingAndTheSource() throws {
        let cases: [(String, [String: String], String)] = [
            (#"{"port": "eighty"}"#, [:], "port must be a whole number"),
            (#"{"colour": "red"}"#, [:], "unknown setting colour"),
            (#"{"idle_timeout_seconds": 0}"#, [:], "idle_timeout_seconds must be a number of seconds > 0"),
            ("{}", ["PORT": "http"], "environment variable PORT: \"http\" is not a number"),
            ("{}", ["PORT": "70000"], "port must be between 0 and 65535"),
            ("{}", ["LOG_LEVEL": "loud"], "log_level loud is not one of"),
            ("[1, 2]", [:], "not a JSON object"),
            ("{}", ["HEADER_TIMEOUT_SECONDS": "1e300"], "header_timeout_seconds must be between 0.001 and 2592000 seconds"),
            ("{}", ["IDLE_TIMEOUT_SECONDS": "0.00001"], "idle_timeout_seconds must be between"),
        ]
        for (json, env, message) in cases {
            let path = try file(json)
            XCTAssertThrowsError(try ServiceConfiguration.load(file: path, environment: env)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(json) \(env): \(error)")
            }
        }
        XCTAssertThrowsError(try ServiceConfiguration.load(file: "/nonexistent/server.json", environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/server.json: cannot be read"))
        }
    }
}
