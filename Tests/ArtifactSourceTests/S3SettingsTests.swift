import ArtifactSources
import Foundation
import XCTest

/// Credentials, region, endpoint and addressing from the standard AWS variables and shared files.
final class S3SettingsTests: XCTestCase {
    private let location = "s3://pricing-models/prod"

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func testEnvironmentCredentialsRegionAndEndpoint() throws {
        let home = temporaryDirectory(self, "home")
        let settings = try S3Settings.fromEnvironment([
            "HOME": home, "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok",
            "AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "us-west-2",
            "AWS_ENDPOINT_URL": "http://generic:9000", "AWS_ENDPOINT_URL_S3": "http://minio:9000",
        ], location: location)
        XCTAssertEqual(try XCTUnwrap(settings.credentials).accessKeyID, "AKIAENV")
        XCTAssertEqual(try XCTUnwrap(settings.credentials).secretAccessKey, "env-secret")
        XCTAssertEqual(try XCTUnwrap(settings.credentials).sessionToken, "tok")
        XCTAssertEqual(settings.region, "eu-west-3")
        XCTAssertEqual(settings.endpoint, URL(string: "http://minio:9000"))
        XCTAssertTrue(settings.pathStyle, "a custom endpoint defaults to path-style")
    }

    func testPathStyleDefaultsAndOverride() throws {
        let base = ["HOME": temporaryDirectory(self, "home"), "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"]
        XCTAssertFalse(try S3Settings.fromEnvironment(base, location: location).pathStyle)
        XCTAssertNil(try S3Settings.fromEnvironment(base, location: location).endpoint)
        XCTAssertEqual(try S3Settings.fromEnvironment(base, location: location).region, "us-east-1")
        var custom = base
        custom["AWS_ENDPOINT_URL"] = "https://storage.example.com"
        XCTAssertTrue(try S3Settings.fromEnvironment(custom, location: location).pathStyle)
        custom["AWS_S3_FORCE_PATH_STYLE"] = "false"
        XCTAssertFalse(try S3Settings.fromEnvironment(custom, location: location).pathStyle)
        var forced = base
        forced["AWS_S3_FORCE_PATH_STYLE"] = "TRUE"
        XCTAssertTrue(try S3Settings.fromEnvironment(forced, location: location).pathStyle)
        forced["AWS_S3_FORCE_PATH_STYLE"] = "sometimes"
        XCTAssertThrowsError(try S3Settings.fromEnvironment(forced, location: location)) { error in
            XCTAssertTrue("\(error)".contains("AWS_S3_FORCE_PATH_STYLE"), "\(error)")
        }
        custom["AWS_ENDPOINT_URL"] = "minio:9000"
        XCTAssertThrowsError(try S3Settings.fromEnvironment(custom, location: location)) { error in
            XCTAssertTrue("\(error)".contains("AWS_ENDPOINT_URL"), "\(error)")
        }
    }

    func testDefaultProfileFromTheHomeFolder() throws {
        let home = temporaryDirectory(self, "home")
        try write("""
            # a comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default/secret+key

            [other]
            aws_access_key_id = AKIAOTHER
            aws_secret_access_key = other
            """, to: home + "/.aws/credentials")
        try write("""
            [default]
            region = ap-southeast-2
            s3 =
              addressing_style = path
            """, to: home + "/.aws/config")
        let settings = try S3Settings.fromEnvironment(["HOME": home], location: location)
        XCTAssertEqual(try XCTUnwrap(settings.credentials).accessKeyID, "AKIADEFAULT")
        XCTAssertEqual(try XCTUnwrap(settings.credentials).secretAccessKey, "default/secret+key")
        XCTAssertNil(try XCTUnwrap(settings.credentials).sessionToken)
        XCTAssertEqual(settings.region, "ap-southeast-2")
        XCTAssertTrue(try XCTUnwrap(settings.credentials).source.contains("profile default"), settings.credentials?.source ?? "none")
    }

    func testNamedProfileAndFileLocationsFromTheEnvironment() throws {
        let folder = temporaryDirectory(self, "aws")
        try write("""
            [dev]
            aws_access_key_id=AKIADEV
            aws_secret_access_key=dev-secret
            aws_session_token=dev-token
            """, to: folder + "/creds")
        try write("""
            [profile dev]
            region = eu-central-1
            [profile ci]
            aws_access_key_id = AKIACI
            aws_secret_access_key = ci-secret
            region = us-west-1
            """, to: folder + "/conf")
        var environment = ["HOME": "/nonexistent", "AWS_PROFILE": "dev", "AWS_SHARED_CREDENTIALS_FILE": folder + "/creds",
                           "AWS_CONFIG_FILE": folder + "/conf"]
        var settings = try S3Settings.fromEnvironment(environment, location: location)
        XCTAssertEqual(settings.credentials, AWSCredentials(accessKeyID: "AKIADEV", secretAccessKey: "dev-secret",
                                                            sessionToken: "dev-token", source: "profile dev in \(folder)/creds"))
        XCTAssertEqual(settings.region, "eu-central-1")
        environment["AWS_DEFAULT_REGION"] = "sa-east-1"
        XCTAssertEqual(try S3Settings.fromEnvironment(environment, location: location).region, "sa-east-1")
        // Credentials kept in the config file's profile.
        environment["AWS_PROFILE"] = "ci"
        environment["AWS_DEFAULT_REGION"] = nil
        settings = try S3Settings.fromEnvironment(environment, location: location)
        XCTAssertEqual(try XCTUnwrap(settings.credentials).accessKeyID, "AKIACI")
        XCTAssertEqual(settings.region, "us-west-1")
        // The environment's keys come first.
        environment["AWS_ACCESS_KEY_ID"] = "AKIAENV"
        environment["AWS_SECRET_ACCESS_KEY"] = "env"
        XCTAssertEqual(try S3Settings.fromEnvironment(environment, location: location).credentials?.accessKeyID, "AKIAENV")
    }

    func testMissingOrIncompleteCredentialsAreClear() throws {
        let home = temporaryDirectory(self, "home")
        XCTAssertThrowsError(try S3Settings.fromEnvironment(["HOME": home, "AWS_PROFILE": "nope"], location: location)) { error in
            XCTAssertTrue("\(error)".contains("AWS_PROFILE is nope"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(location), "\(error)")
        }
        XCTAssertThrowsError(try S3Settings.fromEnvironment(["HOME": home, "AWS_ACCESS_KEY_ID": "AKIA"], location: location)) { error in
            XCTAssertTrue("\(error)".contains("AWS_SECRET_ACCESS_KEY"), "\(error)")
        }
        try write("[default]\naws_access_key_id = AKIAHALF\n", to: home + "/.aws/credentials")
        XCTAssertThrowsError(try S3Settings.fromEnvironment(["HOME": home], location: location)) { error in
            XCTAssertTrue("\(error)".contains("aws_secret_access_key"), "\(error)")
        }
    }
}
