import ArtifactFormats
import Dispatch
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import Storage
import TestSupport
import XCTest

/// The experiment plan end to end: a scratch copy of the committed version publishes experiments.json,
/// loaded unsigned; its routes answer over real loopback sockets (JSON checked against the served
/// OpenAPI document, CSV, one product, an unknown one; the holdout's members in both), a version
/// without a plan answers the empty plan, and a repricing run posts a running test's arm with `binding_rule` `experiment` only where
/// the run's rules allow it.
final class ExperimentsRouteTests: XCTestCase {
    /// The fixture: the scratch version, its engine, the committed engine, and a server for each.
    struct Fixture: @unchecked Sendable {
        let version: ScratchVersion
        let engine: PricingEngine
        let committed: PricingEngine
        let servers: [HTTPServer]
        let planPort: Int
        let noPlanPort: Int
        /// A: testing, this week the high arm (+5%), held out instead with π 0.15 (`holdout_probability`; the
        /// other tests, like plans written before it, do not say); B: testing, the low arm at −30% (outside the
        /// default 20% maximum change); C: committed; and a test of a product the catalogue does not know.
        /// D is held out (at its current price), with a product the catalogue does not know.
        let a: String, b: String, c: String, d: String
        let currentA: Double, currentB: Double
        static let formulaCode = "=HYPERLINK(\"x\")"
        static let heldFormulaCode = "+SUM(1)"
    }

    nonisolated(unsafe) static var shared: Fixture?

    func fixture() throws -> Fixture {
        if let shared = Self.shared { return shared }
        let committed = try PricingEngine(path: CommittedModels.root)
        // D, the held-out product, is one the normal decision moves, so that holding it at its price is seen.
        let first = committed.store.products.prefix(3).map(\.stockcode)
        let candidates = committed.store.products.dropFirst(3).prefix(200).map { RepricingItem(stockcode: $0.stockcode) }
        let moved = try XCTUnwrap(committed.reprice(candidates, rules: PricingRules()).rows.first { $0.price != $0.currentPrice },
                                  "no product among the first 203 is moved by the default rules")
        let codes = first + [moved.stockcode]
        let current = try committed.reprice(first.map { RepricingItem(stockcode: $0) }, rules: PricingRules()).rows.map(\.currentPrice)
            + [moved.currentPrice]
        let version = try ScratchVersion()
        try version.addExperiments(ExperimentPlanFixture.withHoldout(ExperimentPlanFixture.plan(tests: [
            ExperimentPlanFixture.test(codes[0], currentPrice: current[0], step: 0.05, arm: "high", holdoutProbability: 0.15),
            ExperimentPlanFixture.test(codes[1], currentPrice: current[1], step: 0.3, arm: "low"),
            ExperimentPlanFixture.test(codes[2], currentPrice: current[2], arm: "committed", status: "committed"),
            ExperimentPlanFixture.test(Fixture.formulaCode, currentPrice: 1.0),
        ]), members: [ExperimentPlanFixture.member(Fixture.heldFormulaCode, price: 2.5, probability: 0.125),
                      ExperimentPlanFixture.member(codes[3], price: current[3])]))
        let engine = try PricingEngine(path: version.path)
        var servers: [HTTPServer] = []
        var ports: [Int] = []
        for served in [engine, committed] {
            var configuration = HTTPServer.Configuration()
            configuration.host = "127.0.0.1"
            configuration.port = 0
            let server = HTTPServer(configuration: configuration, handler: PricingRouter(engine: served, cors: CORSPolicy(allowedOrigins: [])))
            ports.append(try server.start())
            servers.append(server)
        }
        let made = Fixture(version: version, engine: engine, committed: committed, servers: servers, planPort: ports[0], noPlanPort: ports[1],
                           a: codes[0], b: codes[1], c: codes[2], d: codes[3], currentA: current[0], currentB: current[1])
        Self.shared = made
        return made
    }

    override class func tearDown() {
        guard let shared = Self.shared else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            for server in shared.servers { await server.shutdown(gracePeriod: .seconds(1)) }
            done.signal()
        }
        done.wait()
        shared.version.remove()
        Self.shared = nil
    }

    func request(_ target: String, port: Int? = nil, method: String = "GET", headers: [(String, String)] = []) throws -> TestClient.Response {
        let client = try TestClient(port: try port ?? fixture().planPort, timeout: 60)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try client.send(head + "\r\n")
        return try client.readResponse(head: method == "HEAD")
    }

    func object(_ response: TestClient.Response, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text, file: file, line: line)
    }

    /// `response` has `status` and its JSON body is what the served OpenAPI document says for `path`.
    func check(_ response: TestClient.Response, path: String, status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        let checker = OpenAPIChecker()
        let doc = try object(request("/openapi.json"))
        XCTAssertEqual(checker.validate(try JSONSerialization.jsonObject(with: Data(response.body)),
                                        try checker.schema(doc, path: path, status: status), doc), [], file: file, line: line)
    }

    func testThePlanAsJSONWithAndWithoutHistory() throws {
        let f = try fixture()
        let response = try request("/v1/experiments")
        try check(response, path: "/v1/experiments", status: 200)
        XCTAssertEqual(response.header("x-model-version"), f.engine.version)
        let plan = try object(response)
        XCTAssertEqual(plan["plan_id"] as? String, "fixture-2026-W49")
        XCTAssertEqual(plan["week_start"] as? String, ExperimentPlanFixture.weekStart)
        XCTAssertEqual((plan["holdout"] as? [String: Any])?["lift_p5"] as? Double, -0.008)
        XCTAssertEqual((plan["guardrails"] as? [String: Any])?["max_step_pct"] as? Double, 10)
        let tests = try XCTUnwrap(plan["tests"] as? [[String: Any]])
        XCTAssertEqual(tests.map { $0["stockcode"] as? String }, [f.a, f.b, f.c, Fixture.formulaCode])
        XCTAssertEqual(tests.map { $0["status"] as? String }, ["testing", "testing", "committed", "testing"])
        XCTAssertTrue(tests.allSatisfy { $0["history"] == nil }, "no history unless asked")
        XCTAssertEqual(tests[0]["description"] as? String, f.engine.store.products[0].description)
        XCTAssertTrue(tests[3]["description"] is NSNull, "a product the version does not know has no description")
        XCTAssertEqual(try XCTUnwrap(tests[0]["price_this_week"] as? Double), f.currentA * 1.05, accuracy: 1e-9)
        let arms = try XCTUnwrap(tests[0]["arms"] as? [Double])
        for (got, want) in zip(arms, [f.currentA * 0.95, f.currentA, f.currentA * 1.05]) { XCTAssertEqual(got, want, accuracy: 1e-9) }
        XCTAssertEqual(arms.count, 3)
        // π of having been held out instead, where the plan gives it (the OpenAPI check above covers its schema);
        // absent, as the plan has it, where it does not.
        XCTAssertEqual(tests[0]["holdout_probability"] as? Double, 0.15)
        XCTAssertTrue(tests.dropFirst().allSatisfy { $0["holdout_probability"] == nil }, "\(tests)")
        let holdout = try XCTUnwrap(plan["holdout"] as? [String: Any])
        XCTAssertEqual(holdout["products"] as? Int, 2)
        let members = try XCTUnwrap(holdout["members"] as? [[String: Any]])
        XCTAssertEqual(members.map { $0["stockcode"] as? String }, [Fixture.heldFormulaCode, f.d])
        XCTAssertEqual(members.map { $0["assignment_probability"] as? Double }, [0.125, 0.2])
        XCTAssertEqual(members.map { $0["assigned_week"] as? String }, ["2026-11-16", "2026-11-16"])
        XCTAssertTrue(members[0]["description"] is NSNull)
        XCTAssertEqual(members[1]["description"] as? String, f.engine.store.products.first { $0.stockcode == f.d }?.description)
        XCTAssertEqual(try XCTUnwrap(members[1]["price_this_week"] as? Double),
                       try f.engine.reprice([RepricingItem(stockcode: f.d)], rules: PricingRules()).rows[0].currentPrice, accuracy: 1e-9)

        let withHistory = try request("/v1/experiments?history=true")
        try check(withHistory, path: "/v1/experiments", status: 200)
        let history = try XCTUnwrap((try object(withHistory)["tests"] as? [[String: Any]])?.first?["history"] as? [[String: Any]])
        XCTAssertEqual(history.map { $0["week_start"] as? String }, ["2026-11-09", "2026-11-16", "2026-11-23"])
        XCTAssertEqual(history.map { $0["units"] as? Double }, [20, 17, 14])

        XCTAssertEqual(try request("/v1/experiments?history=maybe").status, 400)
        XCTAssertEqual(try request("/v1/experiments?sort=x").status, 400)
        XCTAssertEqual(try request("/v1/experiments", method: "POST").status, 405)
        let head = try request("/v1/experiments", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("content-type"), "application/json")
    }

    func testThePlanAsCSVOneRowPerTestThenTheHoldoutFormulasNeutralised() throws {
        let f = try fixture()
        for (target, headers) in [("/v1/experiments?format=csv", [(String, String)]()), ("/v1/experiments", [("Accept", "text/csv")])] {
            let response = try request(target, headers: headers)
            XCTAssertEqual(response.status, 200, target)
            XCTAssertEqual(response.header("content-type"), "text/csv; charset=utf-8", target)
            let lines = response.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            XCTAssertEqual(lines.first, ExperimentTable.csvColumns.joined(separator: ","))
            XCTAssertEqual(lines.count, 7, response.text)
            let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(first.count, ExperimentTable.csvColumns.count, lines[1])
            XCTAssertEqual(first[0], f.a)
            XCTAssertEqual(first[2], "testing")
            XCTAssertEqual(try XCTUnwrap(Double(first[6])), f.currentA * 1.05, accuracy: 1e-9)
            XCTAssertEqual(first[7], "high")
            XCTAssertEqual(first[13], "0.15", "the test's holdout_probability")
            XCTAssertEqual(lines[2].split(separator: ",", omittingEmptySubsequences: false).last, "", "a test without it: empty")
            // The stockcode that looks like a formula is text in a spreadsheet: quoted (it holds a quote)
            // and led by an apostrophe.
            XCTAssertTrue(lines[4].hasPrefix("\"'=HYPERLINK(\"\"x\"\")\","), lines[4])
            // Then the held-out products: status and arm holdout, the price they are kept at, the test-only cells empty.
            XCTAssertEqual(lines[5], "'+SUM(1),,holdout,,,,2.5,holdout,,,,,,0.125", lines[5])
            let held = lines[6].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(held.count, ExperimentTable.csvColumns.count, lines[6])
            XCTAssertEqual([held[0], held[2], held[7], held[13]], [f.d, "holdout", "holdout", "0.2"], "π in holdout_probability")
            XCTAssertEqual(held.enumerated().filter { $0.element.isEmpty }.map(\.offset), [3, 4, 5, 8, 9, 10, 11, 12])
        }
    }

    func testOneProductsTestWithItsHistoryAnd404ForAProductNotUnderTest() throws {
        let f = try fixture()
        let response = try request("/v1/experiments/" + f.a)
        try check(response, path: "/v1/experiments/{stockcode}", status: 200)
        let test = try object(response)
        XCTAssertEqual(test["stockcode"] as? String, f.a)
        XCTAssertEqual(test["holdout_probability"] as? Double, 0.15)
        XCTAssertEqual((test["history"] as? [[String: Any]])?.map { $0["elasticity_sd"] as? Double }, [0.6, 0.5, 0.4])
        let encoded = try request("/v1/experiments/%3DHYPERLINK(%22x%22)")
        XCTAssertEqual(try object(encoded)["stockcode"] as? String, Fixture.formulaCode)

        let unknown = try request("/v1/experiments/" + f.committed.store.products[10].stockcode)
        try check(unknown, path: "/v1/experiments/{stockcode}", status: 404)
        XCTAssertEqual((try object(unknown)["error"] as? [String: Any])?["code"] as? String, "not_under_test")
        XCTAssertEqual(try request("/v1/experiments/" + f.a + "?history=true").status, 400)
        XCTAssertEqual(try request("/v1/experiments/" + f.d).status, 404, "a held-out product is not under test")
    }

    func testAVersionWithoutAPlanAnswersTheEmptyPlan() throws {
        let f = try fixture()
        let response = try request("/v1/experiments", port: f.noPlanPort)
        try check(response, path: "/v1/experiments", status: 200)
        let plan = try object(response)
        XCTAssertEqual((plan["tests"] as? [Any])?.count, 0)
        XCTAssertTrue(plan["plan_id"] is NSNull)
        XCTAssertEqual(plan["weeks_run"] as? Int, 0)
        let csv = try request("/v1/experiments?format=csv", port: f.noPlanPort)
        XCTAssertEqual(csv.text, ExperimentTable.csvColumns.joined(separator: ",") + "\r\n")
        XCTAssertEqual(try request("/v1/experiments/" + f.a, port: f.noPlanPort).status, 404)
    }

    func testARunningTestPostsItsArmWhereTheRulesAllowIt() throws {
        let f = try fixture()
        let row = try object(request("/v1/recommendations/" + f.a))
        XCTAssertEqual(row["binding_rule"] as? String, "experiment")
        XCTAssertEqual(try XCTUnwrap(row["recommended_price"] as? Double), f.currentA * 1.05, accuracy: 1e-4)
        XCTAssertEqual(row["decision"] as? String, "change")

        // B's arm (−30%) is outside the default 20% maximum change: the normal decision stands, exactly
        // as the version without a plan decides; a run allowing 40% posts the arm.
        let b = try object(request("/v1/recommendations/" + f.b))
        let bWithoutPlan = try object(request("/v1/recommendations/" + f.b, port: f.noPlanPort))
        XCTAssertNotEqual(b["binding_rule"] as? String, "experiment")
        XCTAssertEqual(b["binding_rule"] as? String, bWithoutPlan["binding_rule"] as? String)
        XCTAssertEqual(b["recommended_price"] as? Double, bWithoutPlan["recommended_price"] as? Double)
        let wide = try object(request("/v1/recommendations/" + f.b + "?max_change_pct=40"))
        XCTAssertEqual(wide["binding_rule"] as? String, "experiment")
        XCTAssertEqual(try XCTUnwrap(wide["recommended_price"] as? Double), f.currentB * 0.7, accuracy: 1e-4)

        // A committed test leaves the decision to the rules.
        let c = try object(request("/v1/recommendations/" + f.c))
        let cWithoutPlan = try object(request("/v1/recommendations/" + f.c, port: f.noPlanPort))
        XCTAssertEqual(c["binding_rule"] as? String, cWithoutPlan["binding_rule"] as? String)
        XCTAssertEqual(c["recommended_price"] as? Double, cWithoutPlan["recommended_price"] as? Double)
    }

    /// A held-out product keeps the price the plan lists for it (its current price), where the normal
    /// decision moves it: the holdout is the lift's comparison and the ledger records it at that price.
    func testAHeldOutProductKeepsItsPriceWhereTheDecisionWouldMoveIt() throws {
        let f = try fixture()
        let free = try object(request("/v1/recommendations/" + f.d, port: f.noPlanPort))
        XCTAssertNotEqual(try XCTUnwrap(free["recommended_price"] as? Double), try XCTUnwrap(free["current_price"] as? Double),
                          "the version without a plan moves the product")
        let held = try object(request("/v1/recommendations/" + f.d))
        XCTAssertEqual(held["binding_rule"] as? String, "experiment")
        XCTAssertEqual(try XCTUnwrap(held["recommended_price"] as? Double), try XCTUnwrap(held["current_price"] as? Double), accuracy: 1e-9)
        XCTAssertEqual(held["decision"] as? String, "keep_current")
        let run = try XCTUnwrap(f.engine.reprice([RepricingItem(stockcode: f.d)], rules: PricingRules()).rows.first)
        XCTAssertEqual(run.bindingRule, .experiment)
        XCTAssertEqual(run.price, run.currentPrice, accuracy: 1e-12)
        XCTAssertEqual(run.expectedGain, 0, accuracy: 1e-12, "kept at today's price, the row gains nothing")
    }

    /// The row of a test's arm reports its gain at that price: the same numbers as a run without a plan
    /// whose floor and ceiling pin the product to that price.
    func testTheArmsRowReportsTheGainAtTheArmsPrice() throws {
        let f = try fixture()
        let arm = f.currentA * 1.05
        let tested = try XCTUnwrap(f.engine.reprice([RepricingItem(stockcode: f.a)], rules: PricingRules()).rows.first)
        let pinned = try XCTUnwrap(f.committed.reprice([RepricingItem(stockcode: f.a, terms: ProductTerms(floor: arm, ceiling: arm))],
                                                       rules: PricingRules()).rows.first)
        XCTAssertEqual(tested.bindingRule, .experiment)
        XCTAssertEqual(pinned.price, arm, accuracy: 1e-12)
        XCTAssertEqual(tested.price, pinned.price, accuracy: 1e-12)
        XCTAssertEqual(tested.expectedGain, pinned.expectedGain, accuracy: 1e-9)
        XCTAssertEqual(tested.gainP10, pinned.gainP10, accuracy: 1e-9)
        XCTAssertEqual(tested.probabilityOfGain, pinned.probabilityOfGain)
        XCTAssertEqual(tested.unitsRecommended, pinned.unitsRecommended, accuracy: 1e-9)
        XCTAssertNotEqual(tested.unitsRecommended, tested.unitsCurrent, "the units are at the arm's price, not the current one")
    }
}
