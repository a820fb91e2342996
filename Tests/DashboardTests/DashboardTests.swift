import Foundation
import TestSupport
import XCTest

/// The built-in dashboard (`GET /`) in a real browser: the `pricing-server` binary serves it and
/// headless Chromium loads it, runs its script (which streams the curve as NDJSON from the same
/// server) and dumps the resulting DOM, which the tests read through the page's stable hooks
/// (`#app[data-state]`, `#recommended-price[data-value]`, `#rows`, `#error`, `#sales-line`, the summary's
/// `data-value`s and the chart's markers). A proxy in front of the server (`RewritingProxy`) shows the
/// same page an older server's answer, or a chosen decision, on the server's real curve.
final class DashboardTests: XCTestCase {
    nonisolated(unsafe) static var server: ServerProcess?

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    /// One server for the whole class: starting it loads the models.
    func runningServer() throws -> ServerProcess {
        if let server = Self.server { return server }
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)))
        try server.waitUntilReady()
        Self.server = server
        return server
    }

    // MARK: - The page as HTTP resources

    func testPageIsServedWithAStrictPolicyAndOnlyGETAndHEAD() throws {
        let server = try runningServer()
        let page = try server.request("GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("content-type"), "text/html; charset=utf-8")
        let csp = try XCTUnwrap(page.header("content-security-policy"), "no Content-Security-Policy")
        for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
                          "frame-ancestors 'none'", "base-uri 'none'"] {
            XCTAssertTrue(csp.contains(directive), "CSP lacks \(directive): \(csp)")
        }
        XCTAssertFalse(csp.contains("unsafe"), csp)
        XCTAssertFalse(csp.contains("http"), "the policy allows another origin: \(csp)")
        XCTAssertEqual(page.header("cache-control"), "no-cache")
        XCTAssertEqual(page.header("x-content-type-options"), "nosniff")
        XCTAssertTrue(page.text.hasPrefix("<!doctype html>"))
        XCTAssertTrue(page.text.contains(#"id="app" class="app" data-state="idle""#))

        XCTAssertEqual(try server.request("GET", "/index.html").body, page.body)

        let head = try server.request("HEAD", "/")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("content-length"), String(page.body.count))
        XCTAssertEqual(head.header("content-security-policy"), csp)
        XCTAssertTrue(head.body.isEmpty)

        for method in ["POST", "PUT", "DELETE"] {
            let refused = try server.request(method, "/", body: method == "DELETE" ? nil : "x")
            XCTAssertEqual(refused.status, 405, method)
            XCTAssertEqual(refused.header("allow"), "GET, HEAD, OPTIONS", method)
            XCTAssertEqual(refused.errorCode, "method_not_allowed", method)
        }

        // A client holding the current copy revalidates for free.
        let etag = try XCTUnwrap(page.header("etag"))
        let revalidated = try server.request("GET", "/", headers: [("If-None-Match", etag)])
        XCTAssertEqual(revalidated.status, 304)
        XCTAssertTrue(revalidated.body.isEmpty)
        XCTAssertEqual(try server.request("GET", "/", headers: [("If-None-Match", #"W/"0000""#)]).status, 200)

        // The assets the page loads, all from this server.
        let assets = [("/dashboard.js", "text/javascript; charset=utf-8"), ("/dashboard.css", "text/css; charset=utf-8"),
                      ("/favicon.svg", "image/svg+xml")]
        for (path, type) in assets {
            let asset = try server.request("GET", path)
            XCTAssertEqual(asset.status, 200, path)
            XCTAssertEqual(asset.header("content-type"), type, path)
            XCTAssertFalse(asset.body.isEmpty, path)
            XCTAssertEqual(try server.request("POST", path, body: "x").status, 405, path)
        }

        // Gzip for browsers that ask for it (the page is several KiB).
        let zipped = try server.request("GET", "/dashboard.js", headers: [("Accept-Encoding", "gzip")])
        XCTAssertEqual(zipped.header("content-encoding"), "gzip")
    }

    func testPageAndAssetsReferenceNothingOutsideTheServer() throws {
        let server = try runningServer()
        let html = try server.request("GET", "/").text
        XCTAssertEqual(Self.matches(#"https?://"#, in: html), [], "the page names another origin")
        XCTAssertEqual(Self.matches(#"(?:src|href|action)\s*=\s*"(?!/[^/])[^"]*""#, in: html), [],
                       "every link and source must be a path on this server")
        XCTAssertEqual(Self.matches(#"<script(?![^>]*\bsrc=)[^>]*>"#, in: html), [], "inline scripts are refused by the policy")
        XCTAssertEqual(Self.matches(#"<style|\sstyle="#, in: html), [], "inline styles are refused by the policy")

        // What the browser really fetches while the page runs a query: every request goes to this server
        // and is answered; the scripts are exactly the entry module and the modules it imports (each as
        // JavaScript); the curve is read as a stream of NDJSON rows; and the policy refused nothing.
        let chromium = try Chromium.locate()
        let (load, everything) = try chromium.load(server.url("/?stockcode=85123A"))
        let requests = everything.filter(\.fromThePage)
        XCTAssertEqual(DOM(load.dom).attribute("data-state", of: "app"), "done")
        XCTAssertEqual(load.consoleProblems, [], "the page logged problems or the policy refused something")
        let origin = server.url("")
        let paths = requests.map { String($0.url.dropFirst(origin.count)) }
        XCTAssertEqual(requests.filter { !$0.url.hasPrefix(origin + "/") }.map(\.url), [], "requests to another origin")
        for request in requests {
            XCTAssertEqual(request.method, "GET", request.url)
            XCTAssertTrue(request.response.first?.hasPrefix("HTTP/1.1 200") == true, "\(request.url): \(request.response.first ?? "no answer")")
        }
        let scripts = requests.filter { $0.url.hasSuffix(".js") }
        XCTAssertEqual(Set(scripts.map { String($0.url.dropFirst(origin.count)) }), try Self.moduleGraph(server, from: "/dashboard.js"))
        for script in scripts {
            XCTAssertEqual(script.responseHeader("content-type"), "text/javascript; charset=utf-8", script.url)
        }
        XCTAssertTrue(paths.contains("/dashboard.css") && paths.contains("/readyz"), "\(paths)")
        let curve = try XCTUnwrap(requests.first { $0.url.hasPrefix(origin + "/v1/predict-price/85123A") }, "no curve request: \(paths)")
        XCTAssertEqual(curve.requestHeader("accept"), "application/x-ndjson", "the page does not ask for the curve as a stream")
        XCTAssertEqual(curve.responseHeader("content-type"), "application/x-ndjson")
    }

    /// The module paths a module imports, transitively, with its own (`import ... from './x.js'`).
    static func moduleGraph(_ server: ServerProcess, from entry: String) throws -> Set<String> {
        var found: Set<String> = [], pending = [entry]
        while let path = pending.popLast() {
            guard found.insert(path).inserted else { continue }
            let source = try server.request("GET", path).text
            let folder = path[..<(path.lastIndex(of: "/") ?? path.startIndex)]
            for specifier in matches(#"(?<=from ')\./[^']+(?=')"#, in: source) {
                pending.append(String(folder) + "/" + String(specifier.dropFirst(2)))
            }
        }
        return found
    }

    // MARK: - The page in a browser

    func testDashboardStreamsTheCurveAndShowsTheAPIsRecommendation() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let api = try server.request("GET", "/v1/predict-price/85123A")
        XCTAssertEqual(api.status, 200, api.text)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [[String: Any]])
        let answer = try Self.firstRow(api.body)
        let optimal = try XCTUnwrap(Self.number(answer["optimal_unit_price"]))

        // The screenshot the brief's reviewers look at comes from the same browser run (tall enough for the
        // summary, the chart and its legend).
        let load = try chromium.dumpDOM(server.url("/?stockcode=85123A"), screenshot: (1280, 1100))
        try Self.save(Data(load.dom.utf8), as: "dashboard.html")
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "done",
                       "the page did not finish; #error: \(dom.text(of: "error") ?? "-"), status: \(dom.text(of: "status") ?? "-")")
        let shown = try XCTUnwrap(dom.attribute("data-value", of: "recommended-price").flatMap(Double.init), "no #recommended-price[data-value]")
        XCTAssertEqual(shown, optimal, "the page recommends \(shown), the API \(optimal)")
        XCTAssertEqual(dom.text(of: "recommended-price"), PageFormat.money(optimal))
        XCTAssertEqual(dom.text(of: "rows"), String(rows.count))
        XCTAssertEqual(try Self.pointCount(dom, "sales-line"), rows.count, "one chart point per row")
        XCTAssertEqual(dom.attribute("data-points", of: "sales-line"), String(rows.count))
        XCTAssertEqual(try Self.pointCount(dom, "quantity-line"), rows.count)
        XCTAssertNotNil(dom.startTag(id: "recommended-line"), "the recommendation is not marked on the chart")
        XCTAssertNotNil(dom.startTag(id: "quantity-band"), "no quantity band")
        // The decision and its evidence, equal to the API's (a server without the price-response
        // model sends none of it, and the page leaves it out).
        try Self.assertSummary(dom, shows: answer)
        XCTAssertEqual(dom.text(of: "model"), api.header("x-model"))
        XCTAssertEqual(dom.text(of: "model-version"), api.header("x-model-version"))
        XCTAssertEqual(dom.attribute("hidden", of: "error-box"), "", "the error box is showing")
        // The script replaced the query with the normalized one, and nothing outside the server was named.
        let origin = server.url("")
        XCTAssertEqual(Self.matches(#"https?://[^\s"'<>]+"#, in: load.dom).filter { !$0.hasPrefix(origin + "/") && $0 != origin }, [])
        XCTAssertEqual(load.consoleProblems, [], "the browser reported problems")

        let png = try XCTUnwrap(load.screenshot)
        let path = try Self.save(png, as: "dashboard.png")
        XCTAssertEqual(Self.pngSize(png)?.width, 1280, path)
        XCTAssertEqual(Self.pngSize(png)?.height, 1100, path)
        XCTAssertGreaterThan(png.count, 20_000, "an almost empty screenshot: \(path)")
        attach(png, name: "dashboard.png")
    }

    func testQueryParametersReachTheAPIAndProfitIsMaximized() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let query = "unitprice_min=1&unitprice_max=5&num_price_bins=40&unit_cost=1"
        let api = try server.request("GET", "/v1/predict-price/85123A?" + query)
        XCTAssertEqual(api.status, 200, api.text)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [[String: Any]])
        XCTAssertEqual(rows.count, 40)
        let answer = try Self.firstRow(api.body)
        let optimal = try XCTUnwrap(Self.number(answer["optimal_unit_price"]))
        let weekly = answer["demand_unit"] as? String == "units_per_week"

        let load = try chromium.dumpDOM(server.url("/?stockcode=85123A&" + query))
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "done", dom.text(of: "error") ?? "-")
        XCTAssertEqual(dom.attribute("data-value", of: "recommended-price").flatMap(Double.init), optimal)
        XCTAssertEqual(dom.text(of: "rows"), "40")
        XCTAssertEqual(try Self.pointCount(dom, "sales-line"), 40)
        XCTAssertEqual(dom.text(of: "legend-objective"), weekly ? "Profit per week" : "Predicted profit")
        // With a unit cost the gain is profit per week, still the API's numbers.
        try Self.assertSummary(dom, shows: answer)
        XCTAssertEqual(load.consoleProblems, [])
    }

    /// The fields a server before the price-response model does not send.
    static let decisionFields = [
        "current_price", "recommended_price", "best_price", "decision", "decision_reason", "expected_gain", "expected_gain_pct",
        "gain_p10", "gain_p90", "probability_of_gain", "best_price_p10", "best_price_p90", "elasticity", "elasticity_p10",
        "elasticity_p90", "search_min", "search_max", "at_search_edge", "outside_support", "demand_unit", "sales_p10", "sales_p90",
    ]

    func testAnOlderServersAnswerStillShowsTheCurveAndTheRecommendation() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let proxy = try RewritingProxy(upstream: server.port) { row in
            for field in DashboardTests.decisionFields { row[field] = nil }
        }
        defer { proxy.stop() }
        let api = try proxy.get("/v1/predict-price/85123A")
        XCTAssertEqual(api.status, 200, api.text)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [[String: Any]])
        let answer = try Self.firstRow(api.body)
        XCTAssertNil(answer["current_price"], "the proxy did not remove the decision fields")
        let optimal = try XCTUnwrap(Self.number(answer["optimal_unit_price"]))

        let load = try chromium.dumpDOM(proxy.url("/?stockcode=85123A"), screenshot: (1280, 1100))
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "done", dom.text(of: "error") ?? "-")
        XCTAssertEqual(dom.attribute("data-value", of: "recommended-price").flatMap(Double.init), optimal)
        XCTAssertEqual(dom.text(of: "recommended-price"), PageFormat.money(optimal))
        XCTAssertEqual(try Self.pointCount(dom, "sales-line"), rows.count)
        XCTAssertNotNil(dom.startTag(id: "recommended-line"))
        try Self.assertSummary(dom, shows: answer)
        XCTAssertEqual(dom.text(of: "legend-objective"), "Predicted sales")
        XCTAssertEqual(dom.attribute("hidden", of: "error-box"), "", "the error box is showing")
        XCTAssertEqual(load.consoleProblems, [], "the browser reported problems")

        try Self.save(try XCTUnwrap(load.screenshot), as: "dashboard-older-server.png")
    }

    /// Each decision reason in words, and the warnings, for decisions set on the server's real curve.
    func testTheDecisionIsExplainedInPlainWords() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        // The prices are placed on the server's real curve for 85123A (its current price and the top of
        // its swept range), so every marker is drawn whatever the committed version's curve is.
        let real = try Self.firstRow(try server.request("GET", "/v1/predict-price/85123A").body)
        let current = (try XCTUnwrap(Self.number(real["current_price"])) * 100).rounded() / 100
        let top = try XCTUnwrap(Self.number(real["search_max"]))
        let better = ((current + 0.6 * (top - current)) * 100).rounded() / 100
        XCTAssertGreaterThan(better, current * 1.05, "the real curve reaches above the current price")
        let pounds = { (price: Double) in "£" + String(format: "%.2f", price) }
        let common: [String: Any] = [
            "current_price": current, "expected_gain": 1.234, "expected_gain_pct": 0.0456, "gain_p10": -0.5, "gain_p90": 3.21,
            "best_price_p10": current, "best_price_p90": top, "elasticity": -1.84, "elasticity_p10": -2.3, "elasticity_p90": -1.4,
            "search_min": current * 0.8, "search_max": top, "at_search_edge": NSNull(), "outside_support": false, "demand_unit": "units_per_week",
        ]
        struct Case {
            var name: String
            var fields: [String: Any]
            var badge: String
            var sentence: String
            var flags: [String]
        }
        let cases = [
            Case(name: "keep", fields: [
                "decision": "keep_current", "decision_reason": "insufficient_evidence", "recommended_price": current, "best_price": better,
                "probability_of_gain": 0.63, "at_search_edge": "upper", "outside_support": true,
            ], badge: "Keep", sentence: "the evidence for a change is not strong enough (P(gain) 63%); the model\u{2019}s best price would be \(pounds(better)).",
                 flags: ["at_search_edge", "outside_support"]),
            Case(name: "change", fields: [
                "decision": "change", "decision_reason": "model", "recommended_price": better, "best_price": better, "probability_of_gain": 0.91,
            ], badge: "Change", sentence: "the evidence supports a change from \(pounds(current)) to \(pounds(better)) (P(gain) 91%).", flags: []),
            Case(name: "at-current", fields: [
                "decision": "keep_current", "decision_reason": "at_current_price", "recommended_price": current, "best_price": current + 0.01,
                "probability_of_gain": 0.55, "at_search_edge": "lower",
            ], badge: "Keep", sentence: "the current price is already the model\u{2019}s best (\(pounds(current + 0.01)) is within 0.5% of it).", flags: ["at_search_edge"]),
        ]
        for test in cases {
            let fields = SendableFields(values: common.merging(test.fields) { $1 })
            let proxy = try RewritingProxy(upstream: server.port) { row in
                for (key, value) in fields.values { row[key] = value }
                row["optimal_unit_price"] = fields.values["recommended_price"]
                // The server's revenue at its own recommendation, which is not the one set here.
                row["max_predicted_sales"] = nil
                if let sales = DashboardTests.number(row["predicted_sales"]) {
                    row["sales_p10"] = sales * 0.85
                    row["sales_p90"] = sales * 1.2
                }
            }
            defer { proxy.stop() }
            let api = try proxy.get("/v1/predict-price/85123A")
            XCTAssertEqual(api.status, 200, test.name)
            let answer = try Self.firstRow(api.body)

            // The "keep" case's page is also kept as a picture, from the same browser run.
            let load = try chromium.dumpDOM(proxy.url("/?stockcode=85123A"), screenshot: test.name == "keep" ? (1280, 1100) : nil)
            let dom = DOM(load.dom)
            XCTAssertEqual(dom.attribute("data-state", of: "app"), "done", "\(test.name): \(dom.text(of: "error") ?? "-")")
            XCTAssertEqual(dom.text(of: "decision"), test.badge, test.name)
            XCTAssertEqual(dom.text(of: "decision-text"), test.sentence, test.name)
            try Self.assertSummary(dom, shows: answer)
            for flag in ["at_search_edge", "outside_support"] {
                XCTAssertEqual(load.dom.contains(#"data-flag="\#(flag)""#), test.flags.contains(flag), "\(test.name): flag \(flag)")
            }
            XCTAssertEqual(dom.text(of: "elasticity"), "\u{2212}1.84", test.name)
            // The model's best price gets its own marker when the decision keeps another price.
            XCTAssertEqual(dom.startTag(id: "best-price-line") != nil, test.name == "keep", test.name)
            XCTAssertEqual(load.consoleProblems, [], test.name)
            if let png = load.screenshot {
                try Self.save(png, as: "dashboard-keep.png")
            }
        }
    }

    func testUnknownProductShowsTheAPIsErrorMessage() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let api = try server.request("GET", "/v1/predict-price/NOPE")
        XCTAssertEqual(api.status, 404)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [String: [String: String]])
        let message = try XCTUnwrap(body["error"]?["message"])

        let load = try chromium.dumpDOM(server.url("/?stockcode=NOPE"), screenshot: (1280, 800))
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "error")
        XCTAssertEqual(dom.text(of: "error"), message)
        XCTAssertEqual(dom.attribute("data-code", of: "error"), "unknown_stockcode")
        XCTAssertNil(dom.attribute("hidden", of: "error-box"), "the error is not visible")
        XCTAssertEqual(dom.attribute("data-value", of: "recommended-price"), "")
        XCTAssertNil(dom.startTag(id: "sales-line"), "a chart was drawn for an error")
        XCTAssertEqual(load.consoleProblems, [])

        let png = try XCTUnwrap(load.screenshot)
        try Self.save(png, as: "dashboard-error.png")
        attach(png, name: "dashboard-error.png")
    }

    // MARK: - Helpers

    /// A JSON number as a Double (JSONSerialization may give an integer for a whole number).
    static func number(_ value: Any?) -> Double? {
        if value is Bool { return nil }
        return (value as? NSNumber)?.doubleValue ?? (value as? Double)
    }

    /// The first row of an answer (a JSON array or NDJSON), with its numbers read exactly from the
    /// text: swift-corelibs-foundation's JSONSerialization can miss a double by a few ulps, and the
    /// page's `data-` hooks hold the numbers exactly as sent.
    static func firstRow(_ body: [UInt8]) throws -> [String: Any] {
        let text = String(decoding: body, as: UTF8.self)
        guard let open = text.firstIndex(of: "{"), let close = text[open...].firstIndex(of: "}") else {
            throw DashboardTestFailure(description: "no row in \(text.prefix(200))")
        }
        let object = String(text[open...close])
        var row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(object.utf8)) as? [String: Any])
        for match in matches(#""[A-Za-z0-9_]+":-?[0-9][0-9.eE+-]*"#, in: object) {
            let parts = match.split(separator: ":", maxSplits: 1)
            if let value = Double(String(parts[1])) { row[String(parts[0].dropFirst().dropLast())] = value }
        }
        return row
    }

    /// The page's summary shows the decision fields of `answer` (one row of the API's answer, where
    /// they are the same on every row), formatted as the page formats them and exactly in the
    /// `data-` hooks, with the chart's markers; or, when the answer has none of them (an older server),
    /// leaves them out without an error.
    static func assertSummary(_ dom: DOM, shows answer: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws {
        func equal(_ a: String?, _ b: String?, _ what: String) { XCTAssertEqual(a, b, what, file: file, line: line) }
        func value(_ id: String, _ attribute: String = "data-value") -> Double? { dom.attribute(attribute, of: id).flatMap(Double.init) }
        guard let current = number(answer["current_price"]) else {
            equal(dom.attribute("data-value", of: "current-price"), "", "current price without one in the answer")
            for card in ["current-price-card", "gain-card", "probability-card", "best-price-item", "elasticity-item", "decision"] {
                equal(dom.attribute("hidden", of: card), "", "#\(card) shows without its field")
            }
            XCTAssertTrue(dom.attribute("hidden", of: "flags") != nil, "warnings without fields", file: file, line: line)
            for marker in ["current-price-line", "best-price-interval", "search-range", "best-price-line"] {
                XCTAssertNil(dom.startTag(id: marker), "#\(marker) without its field", file: file, line: line)
            }
            if answer["sales_p10"] == nil { XCTAssertNil(dom.startTag(id: "sales-band"), "a band without sales_p10", file: file, line: line) }
            XCTAssertEqual(dom.text(of: "decision-text")?.contains("without the evidence"), true, dom.text(of: "decision-text") ?? "-",
                           file: file, line: line)
            return
        }
        let recommended = try XCTUnwrap(number(answer["optimal_unit_price"]), file: file, line: line)
        if let price = number(answer["recommended_price"]) {
            XCTAssertEqual(price, recommended, "recommended_price and optimal_unit_price differ", file: file, line: line)
        }
        equal(dom.text(of: "current-price"), PageFormat.money(current), "current price")
        XCTAssertEqual(value("current-price"), current, file: file, line: line)
        equal(dom.attribute("hidden", of: "current-price-card"), nil, "the current price is hidden")
        equal(dom.text(of: "recommended-price"), PageFormat.money(recommended), "recommended price")
        XCTAssertEqual(value("recommended-price"), recommended, file: file, line: line)

        let gain = try XCTUnwrap(number(answer["expected_gain"]), file: file, line: line)
        let p10 = try XCTUnwrap(number(answer["gain_p10"]), file: file, line: line)
        let p90 = try XCTUnwrap(number(answer["gain_p90"]), file: file, line: line)
        equal(dom.text(of: "expected-gain"), PageFormat.signedAmount(gain), "expected gain")
        XCTAssertEqual(value("expected-gain"), gain, file: file, line: line)
        equal(dom.text(of: "gain-interval"), "10\u{2013}90%: \(PageFormat.signedAmount(p10)) to \(PageFormat.signedAmount(p90))", "gain interval")
        XCTAssertEqual(value("gain-interval", "data-p10"), p10, file: file, line: line)
        XCTAssertEqual(value("gain-interval", "data-p90"), p90, file: file, line: line)

        let probability = try XCTUnwrap(number(answer["probability_of_gain"]), file: file, line: line)
        equal(dom.text(of: "probability-of-gain"), PageFormat.chance(probability), "probability of gain")
        XCTAssertEqual(value("probability-of-gain"), probability, file: file, line: line)
        let decision = try XCTUnwrap(answer["decision"] as? String, file: file, line: line)
        equal(dom.attribute("data-decision", of: "decision"), decision, "decision")
        equal(dom.text(of: "decision"), decision == "change" ? "Change" : "Keep", "decision badge")
        equal(dom.attribute("data-reason", of: "decision-text"), answer["decision_reason"] as? String, "decision reason")
        if answer["decision_reason"] as? String == "insufficient_evidence" {
            let expected = "the evidence for a change is not strong enough (P(gain) \(PageFormat.chance(probability)))"
            XCTAssertEqual(dom.text(of: "decision-text")?.hasPrefix(expected), true, dom.text(of: "decision-text") ?? "-", file: file, line: line)
        }
        if let best = number(answer["best_price"]) {
            equal(dom.text(of: "best-price"), PageFormat.money(best), "best price")
        }
        if let low = number(answer["best_price_p10"]), let high = number(answer["best_price_p90"]) {
            equal(dom.text(of: "best-price-interval-text"), PageFormat.money(low) + "\u{2013}" + PageFormat.money(high), "best-price interval")
            XCTAssertEqual(value("best-price-interval", "data-p10"), low, file: file, line: line)
            XCTAssertEqual(value("best-price-interval", "data-p90"), high, file: file, line: line)
        }

        // The chart's markers.
        XCTAssertEqual(value("current-price-line", "data-price"), current, "no current-price marker", file: file, line: line)
        XCTAssertEqual(value("recommended-line", "data-price"), recommended, "no recommended-price marker", file: file, line: line)
        if let low = number(answer["search_min"]), let high = number(answer["search_max"]) {
            XCTAssertEqual(value("search-range", "data-min"), low, "no search-range marker", file: file, line: line)
            XCTAssertEqual(value("search-range", "data-max"), high, file: file, line: line)
        }
        if number(answer["sales_p10"]) != nil {
            XCTAssertNotNil(dom.startTag(id: "sales-band"), "no sales_p10-sales_p90 band", file: file, line: line)
        }
        let edge = answer["at_search_edge"] as? String
        XCTAssertEqual(dom.html.contains(#"data-flag="at_search_edge""#), edge == "lower" || edge == "upper", "at_search_edge \(edge ?? "null")",
                       file: file, line: line)
        XCTAssertEqual(dom.html.contains(#"data-flag="outside_support""#), answer["outside_support"] as? Bool == true, "outside_support",
                       file: file, line: line)
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    /// The number of points of an SVG path made of `M x,y` and `L x,y` commands.
    static func pointCount(_ dom: DOM, _ id: String) throws -> Int {
        let d = try XCTUnwrap(dom.attribute("d", of: id), "no path #\(id)")
        XCTAssertEqual(matches(#"^(?:[ML]-?[\d.]+,-?[\d.]+)+$"#, in: d).count, 1, "#\(id) is not a polyline: \(d.prefix(120))")
        return d.filter { $0 == "M" || $0 == "L" }.count
    }

    /// Writes a test artifact to out/test-artifacts/ (git-ignored) and returns its path.
    @discardableResult
    static func save(_ data: Data, as name: String) throws -> String {
        let folder = CommittedModels.repositoryRoot + "/out/test-artifacts"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    func attach(_ png: Data, name: String) {
        #if canImport(Darwin)
        let attachment = XCTAttachment(data: png, uniformTypeIdentifier: "public.png")
        attachment.name = name
        attachment.lifetime = .keepAlways
        add(attachment)
        #endif
        // swift-corelibs-xctest has no attachments: the file in out/test-artifacts is the artifact.
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}
