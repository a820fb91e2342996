import Foundation
import TestSupport
import XCTest

/// The experiments view (`/experiments.html`) in headless Chromium against the real server on a copy of
/// the committed version that publishes an experiment plan: the plan's figures and table are the
/// API's, and the preselected product's price path, units and narrowing posterior sd are drawn, one
/// point per week of its history; the held-out products follow the tests in the table. The DOM and a screenshot go to out/test-artifacts/experiments.{html,png}.
final class ExperimentsViewTests: XCTestCase {
    nonisolated(unsafe) static var server: ServerProcess?
    nonisolated(unsafe) static var scratch: ScratchVersion?

    override class func tearDown() {
        server?.stop()
        server = nil
        scratch?.remove()
        scratch = nil
        super.tearDown()
    }

    func runningServer() throws -> ServerProcess {
        if let server = Self.server { return server }
        let scratch = try ScratchVersion()
        Self.scratch = scratch
        try scratch.addExperiments(ExperimentPlanFixture.withHoldout(ExperimentPlanFixture.plan(tests: [
            ExperimentPlanFixture.test("85123A", currentPrice: 2.95, holdoutProbability: 0.15),
            ExperimentPlanFixture.test("22423", currentPrice: 12.75, arm: "committed", status: "committed"),
        ]), members: [ExperimentPlanFixture.member("20725", price: 1.65)]))
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)), models: scratch.path)
        try server.waitUntilReady()
        Self.server = server
        return server
    }

    func testThePageIsServedUnderTheStrictPolicy() throws {
        let server = try runningServer()
        for (path, type) in [("/experiments.html", "text/html; charset=utf-8"), ("/experiments.js", "text/javascript; charset=utf-8")] {
            let asset = try server.request("GET", path)
            XCTAssertEqual(asset.status, 200, path)
            XCTAssertEqual(asset.header("content-type"), type, path)
            XCTAssertNotNil(asset.header("content-security-policy"), path)
        }
        let html = try server.request("GET", "/experiments.html").text
        XCTAssertEqual(DashboardTests.matches(#"https?://"#, in: html), [], "the page names another origin")
        XCTAssertEqual(DashboardTests.matches(#"<script(?![^>]*\bsrc=)[^>]*>"#, in: html), [], "inline scripts are refused by the policy")
        XCTAssertEqual(DashboardTests.matches(#"<style|\sstyle="#, in: html), [], "inline styles are refused by the policy")
        XCTAssertTrue(try server.request("GET", "/catalogue.html").text.contains(#"href="/experiments.html""#), "the catalogue links to it")
    }

    func testThePlanAndOneProductsHistoryAreDrawn() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let api = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(server.request("GET", "/v1/experiments").body)) as? [String: Any])
        let load = try chromium.dumpDOM(server.url("/experiments.html?stockcode=85123A"), root: "experiments", screenshot: (1280, 900))
        try DashboardTests.save(Data(load.dom.utf8), as: "experiments.html")
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "experiments"), "done",
                       "the page did not finish; error: \(dom.text(of: "experiments-error") ?? "-")")
        XCTAssertEqual(dom.text(of: "plan-id"), api["plan_id"] as? String)
        XCTAssertEqual(dom.text(of: "plan-week"), ExperimentPlanFixture.weekStart)
        XCTAssertEqual(dom.attribute("data-value", of: "plan-given-up").flatMap(Double.init), api["revenue_given_up"] as? Double)
        let holdout = try XCTUnwrap(api["holdout"] as? [String: Any])
        XCTAssertEqual(dom.attribute("data-p5", of: "plan-lift").flatMap(Double.init), holdout["lift_p5"] as? Double)
        XCTAssertEqual(dom.attribute("data-p95", of: "plan-lift").flatMap(Double.init), holdout["lift_p95"] as? Double)
        let rows = DashboardTests.matches(#"<tr data-stockcode="[^"]*""#, in: load.dom).map { String($0.dropFirst(#"<tr data-stockcode=""#.count).dropLast()) }
        // The tests, then the held-out products.
        let members = (holdout["members"] as? [[String: Any]])?.compactMap { $0["stockcode"] as? String } ?? []
        XCTAssertEqual(members, ["20725"])
        XCTAssertEqual(rows, ((api["tests"] as? [[String: Any]])?.compactMap { $0["stockcode"] as? String } ?? []) + members)
        XCTAssertEqual(DashboardTests.matches(#"<tr data-stockcode="20725" data-status="holdout" data-holdout-probability="0.2""#, in: load.dom).count, 1,
                       "the held-out row carries its π")
        XCTAssertEqual(DashboardTests.matches(#"<tr data-stockcode="85123A" data-status="testing" data-holdout-probability="0.15""#, in: load.dom).count, 1,
                       "a test carries its holdout_probability")
        XCTAssertEqual(DashboardTests.matches(#"<tr data-stockcode="22423" data-status="committed"(?! data-holdout-probability)"#, in: load.dom).count, 1,
                       "a test the plan gives no holdout_probability has none")
        // The held-out row's cells: π is said in words in the elasticity column, whose sort key (data-value) it is not:
        // only the status and the price this week have one, as for the cells of a test that hold no number.
        let heldRow = try XCTUnwrap(load.dom.range(of: #"<tr data-stockcode="20725"[\s\S]*?</tr>"#, options: .regularExpression).map { String(load.dom[$0]) })
        let cells = DashboardTests.matches(#"<td[^>]*>[^<]*"#, in: heldRow)
        XCTAssertEqual(cells.count, 9, heldRow)
        XCTAssertEqual(cells.map { $0.contains("data-value=") }, [false, false, true, false, true, false, false, false, false], heldRow)
        XCTAssertTrue(cells[6].hasSuffix("drawn with 20%"), cells[6])
        XCTAssertEqual(dom.attribute("data-stockcode", of: "experiment-detail"), "85123A")
        for chart in ["chart-price", "chart-units", "chart-sd"] {
            XCTAssertEqual(dom.attribute("data-points", of: chart), "3", chart)
        }
        // The sd chart: one dot per week, falling week by week (SVG y grows downwards), under the dashed start line.
        let sdChart = try XCTUnwrap(load.dom.range(of: #"<svg[^>]*id="chart-sd"[\s\S]*?</svg>"#, options: .regularExpression).map { String(load.dom[$0]) })
        let ys = DashboardTests.matches(#"<circle[^>]*cy="[0-9.]+""#, in: sdChart).compactMap { tag in
            tag.range(of: #"cy="[0-9.]+""#, options: .regularExpression).flatMap { Double(tag[$0].dropFirst(4).dropLast()) }
        }
        XCTAssertEqual(ys.count, 3, sdChart)
        XCTAssertEqual(ys, ys.sorted(), "the posterior sd narrows week by week")
        XCTAssertEqual(DashboardTests.matches(#"<rect[^>]*class="bar""#, in: load.dom).count, 3, "one bar of units per week")
        XCTAssertEqual(load.consoleProblems, [], "the browser reported problems")
        let png = try XCTUnwrap(load.screenshot)
        let path = try DashboardTests.save(png, as: "experiments.png")
        XCTAssertEqual(DashboardTests.pngSize(png)?.width, 1280, path)
    }
}
