import Foundation
import TestSupport
import XCTest

/// Under Lambda, models that cannot load are reported through init/error, whose message leaves the
/// process (CloudWatch, the caller's console): a password in MODELS is masked there and in the log.
final class LambdaSecretRedactionTests: XCTestCase {
    func testThePasswordInModelsIsMaskedInTheInitErrorAndTheLog() async throws {
        let api = try RuntimeAPIStandIn()
        let password = "Pl4nted-Lambda-Pa55"
        // The stand-in answers 404 to anything but the Runtime API, so the load fails at once.
        let lambda = try LambdaProcess(testCase: self, runtimeAPI: api.endpoint,
                                       models: "http://reader:\(password)@\(api.endpoint)/models",
                                       // Plain http past the transport check, so the load itself fails.
                                       extraEnvironment: ["ALLOW_INSECURE_HTTP": "true"])
        let status = await lambda.waitForExit()
        XCTAssertNotNil(status, "still running: \(lambda.log)")
        let report = await api.initError(timeout: .seconds(1))
        await api.stop()
        let body = String(decoding: report?.body ?? [], as: UTF8.self)
        XCTAssertEqual(report?.type, "Runtime.ModelsUnavailable", lambda.log)
        XCTAssertTrue(body.contains("http://reader:***@\(api.endpoint)/models"), body)
        XCTAssertFalse(body.contains(password), body)
        XCTAssertTrue(lambda.log.contains("cannot load models"), lambda.log)
        XCTAssertFalse(lambda.log.contains(password), lambda.log)
    }
}
