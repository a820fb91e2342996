import Foundation
import TestSupport
import XCTest

/// The catalogue view (`/catalogue.html`) in headless Chromium against the real server: the run's
/// table and totals equal the API's, the download link asks for the same run as CSV, and a row's link
/// opens the product's curve with the rules drawn on it. A screenshot goes to
/// out/test-artifacts/catalogue.png. The server runs on a copy of the committed version whose first
/// descriptions start like spreadsheet formulas, so the page's CSV download is checked for them.
final class CatalogueViewTests: XCTestCase {
    nonisolated(unsafe) static var server: ServerProcess?
    nonisolated(unsafe) static var scratch: ScratchVersion?
    nonisolated(unsafe) static var planted: [String: String] = [:]

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
        Self.planted = try scratch.plantFormulaDescriptions()
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)), models: scratch.path)
        try server.waitUntilReady()
        Self.server = server
        return server
    }

    /// A GET with time for a whole run (a debug build on a busy machine takes tens of seconds; the
    /// release build under a second).
    func slowGet(_ server: ServerProcess, _ target: String) throws -> TestClient.Response {
        let client = try TestClient(port: server.port, timeout: 600)
        try client.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return try client.readResponse()
    }

    func testTheAssetsAreServedUnderTheStrictPolicy() throws {
        let server = try runningServer()
        for (path, type) in [("/catalogue.html", "text/html; charset=utf-8"), ("/catalogue.js", "text/javascript; charset=utf-8")] {
            let asset = try server.request("GET", path)
            XCTAssertEqual(asset.status, 200, path)
            XCTAssertEqual(asset.header("content-type"), type, path)
            XCTAssertNotNil(asset.header("content-security-policy"), path)
        }
        let html = try server.request("GET", "/catalogue.html").text
        XCTAssertEqual(DashboardTests.matches(#"https?://"#, in: html), [], "the page names another origin")
        XCTAssertEqual(DashboardTests.matches(#"<script(?![^>]*\bsrc=)[^>]*>"#, in: html), [], "inline scripts are refused by the policy")
        XCTAssertEqual(DashboardTests.matches(#"<style|\sstyle="#, in: html), [], "inline styles are refused by the policy")
        XCTAssertTrue(try server.request("GET", "/").text.contains(#"href="/catalogue.html""#), "the product view links to the catalogue view")
    }

    func testTheTableAndTotalsAreTheAPIsRun() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let api = try slowGet(server, "/v1/recommendations?limit=50")
        XCTAssertEqual(api.status, 200, api.text)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [String: Any])
        let rows = try XCTUnwrap(doc["rows"] as? [[String: Any]])
        let totals = try XCTUnwrap(doc["totals"] as? [String: Any])

        let load = try chromium.dumpDOM(server.url("/catalogue.html"), root: "catalogue", screenshot: (1400, 1000))
        try DashboardTests.save(Data(load.dom.utf8), as: "catalogue.html")
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "catalogue"), "done",
                       "the page did not finish; error: \(dom.text(of: "catalogue-error") ?? "-")")
        XCTAssertEqual(dom.attribute("data-value", of: "total-gain").flatMap(Double.init), DashboardTests.number(totals["expected_gain"]))
        XCTAssertEqual(dom.attribute("data-p10", of: "total-gain").flatMap(Double.init), DashboardTests.number(totals["gain_p10"]))
        XCTAssertEqual(dom.attribute("data-p90", of: "total-gain").flatMap(Double.init), DashboardTests.number(totals["gain_p90"]))
        XCTAssertEqual(dom.text(of: "total-products"), "4,000")
        // The first page is the API's order (largest expected gain first), 50 rows.
        let shown = DashboardTests.matches(#"<tr data-stockcode="[^"]*""#, in: load.dom).map { String($0.dropFirst(#"<tr data-stockcode=""#.count).dropLast()) }
        XCTAssertEqual(shown, rows.compactMap { $0["stockcode"] as? String })
        XCTAssertEqual(dom.attribute("href", of: "download-csv"), "/v1/recommendations?format=csv&sort=expected_gain")
        XCTAssertEqual(load.consoleProblems, [], "the browser reported problems")
        let download = try XCTUnwrap(dom.attribute("href", of: "download-csv"))
        let csv = try server.request("GET", download)
        XCTAssertEqual(csv.header("content-type"), "text/csv; charset=utf-8")
        // Descriptions starting like formulas come out behind a ' (one of them holds a CR, so the
        // file is counted by Python's csv module rather than by splitting lines).
        let file = NSTemporaryDirectory() + "catalogue-download-\(UUID().uuidString).csv"
        try Data(csv.body).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let table = try FormulaCells.readWithPython(file)
        XCTAssertEqual(table.count, 4001, "the download is the whole run")
        let description = try XCTUnwrap(table.first?.firstIndex(of: "description"))
        let shownPlanted = Dictionary(uniqueKeysWithValues: table.dropFirst().filter { Self.planted[$0[0]] != nil }.map { ($0[0], $0[description]) })
        XCTAssertEqual(shownPlanted, Self.planted.mapValues { "'" + $0 })

        let png = try XCTUnwrap(load.screenshot)
        let path = try DashboardTests.save(png, as: "catalogue.png")
        XCTAssertEqual(DashboardTests.pngSize(png)?.width, 1400, path)
        XCTAssertGreaterThan(png.count, 20_000, "an almost empty screenshot: \(path)")

    }

    func testARowsLinkDrawsTheRulesOnTheProductsCurve() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        // A product the configured cap on a change binds, opened as the catalogue links it. The run is the
        // configured rules' one the table test reads too (filters and order apply to a finished run), so the
        // class prices the catalogue once: a run over every product is most of a debug server's work here.
        let api = try slowGet(server, "/v1/recommendations?changed_only=true&sort=change&limit=200")
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [String: Any])
        let row = try XCTUnwrap((doc["rows"] as? [[String: Any]])?.first { $0["binding_rule"] as? String == "max_change" },
                                "no change in the run's first 200 is held by the cap")
        let code = try XCTUnwrap(row["stockcode"] as? String)
        let rule = try XCTUnwrap(row["binding_rule"] as? String)
        let price = try XCTUnwrap(DashboardTests.number(row["recommended_price"]))
        let low = try XCTUnwrap(DashboardTests.number(row["allowed_min"])), high = try XCTUnwrap(DashboardTests.number(row["allowed_max"]))
        let link = "/?stockcode=\(code)&rule_price=\(price)&binding_rule=\(rule)&rule_allowed_min=\(low)&rule_allowed_max=\(high)"
        let load = try chromium.dumpDOM(server.url(link), screenshot: (1280, 1100))
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "done", dom.text(of: "error") ?? "")
        XCTAssertEqual(dom.attribute("data-binding-rule", of: "rules"), rule)
        XCTAssertEqual(dom.attribute("data-price", of: "rule-price-line").flatMap(Double.init), price)
        XCTAssertEqual(dom.attribute("data-min", of: "rule-band").flatMap(Double.init), low)
        XCTAssertEqual(dom.attribute("data-max", of: "rule-band").flatMap(Double.init), high)
        XCTAssertTrue(dom.text(of: "rule-label")?.contains(rule.replacingOccurrences(of: "_", with: " ")) == true, dom.text(of: "rule-label") ?? "")
        let png = try XCTUnwrap(load.screenshot)
        try DashboardTests.save(png, as: "catalogue-product-rules.png")
    }
}
