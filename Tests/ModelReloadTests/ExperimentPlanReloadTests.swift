import Foundation
import TestSupport
import XCTest

/// The experiment plan travels with its model version: a hot reload to a version that publishes one
/// changes `GET /v1/experiments` with no restart, and a version whose plan is malformed is rejected
/// (naming experiments.json and the field) while the old version and its plan keep serving.
extension ModelReloadTests {
    func plan(_ response: TestClient.Response) throws -> [String: Any] {
        XCTAssertEqual(response.status, 200, response.text)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func testAPlanArrivesWithItsVersionAndAMalformedOneIsRejected() throws {
        XCTAssertEqual((try plan(request("GET", "/v1/experiments"))["tests"] as? [Any])?.count, 0, "the committed version has no plan")

        try root.variant("v8-plan") { v in
            try v.addExperiments(ExperimentPlanFixture.plan(tests: [ExperimentPlanFixture.test("85123A", currentPrice: 2.95)]))
        }
        try root.setLatest("v8-plan")
        XCTAssertEqual(try reload().status, 200)
        let served = try plan(request("GET", "/v1/experiments"))
        XCTAssertEqual(served["plan_id"] as? String, "fixture-2026-W49")
        XCTAssertEqual((served["tests"] as? [[String: Any]])?.map { $0["stockcode"] as? String }, ["85123A"])
        XCTAssertEqual(try request("GET", "/v1/experiments/85123A").status, 200)

        try root.variant("v9-bad-plan") { v in
            var test = ExperimentPlanFixture.test("85123A", currentPrice: 2.95)
            test["status"] = nil
            try v.addExperiments(ExperimentPlanFixture.plan(tests: [test]))
        }
        try root.setLatest("v9-bad-plan")
        let rejected = try reload()
        XCTAssertEqual(rejected.status, 422, rejected.text)
        XCTAssertTrue(rejected.text.contains("experiments.json") && rejected.text.contains("tests[0].status"), rejected.text)
        XCTAssertEqual(try servingVersion(), "v8-plan")
        XCTAssertEqual(try plan(request("GET", "/v1/experiments"))["plan_id"] as? String, "fixture-2026-W49")
    }
}
