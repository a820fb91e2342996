import Foundation
import TestSupport
import XCTest

/// The built-in dashboard (`GET /`) in a real browser: the `pricing-server` binary serves it and
/// headless Chromium loads it, runs its script (which streams the curve as NDJSON from the same
/// server) and dumps the resulting DOM, which the tests read through the page's stable hooks
/// (`#app[data-state]`, `#recommended-price[data-value]`, `#rows`, `#error`, `#sales-line`).
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
        // The only absolute URL in the script and icon is the SVG namespace, a name that is never fetched.
        for path in ["/dashboard.js", "/dashboard.css", "/favicon.svg"] {
            let text = try server.request("GET", path).text
            let urls = Self.matches(#"https?://[^\s'"()<>]+"#, in: text).filter { $0 != "http://www.w3.org/2000/svg" }
            XCTAssertEqual(urls, [], path)
            XCTAssertEqual(Self.matches(#"@import|url\((?!#)"#, in: text), [], path)
        }
        // The curve is read as a stream of NDJSON rows, not as one JSON document.
        let script = try server.request("GET", "/dashboard.js").text
        XCTAssertTrue(script.contains("application/x-ndjson") && script.contains(".getReader()"), "the page does not stream the curve")
    }

    // MARK: - The page in a browser

    func testDashboardStreamsTheCurveAndShowsTheAPIsRecommendation() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let api = try server.request("GET", "/v1/predict-price/85123A")
        XCTAssertEqual(api.status, 200, api.text)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [[String: Any]])
        let optimal = try XCTUnwrap(rows.first?["optimal_unit_price"] as? Double)

        let load = try chromium.dumpDOM(server.url("/?stockcode=85123A"))
        try Self.save(Data(load.dom.utf8), as: "dashboard.html")
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "done",
                       "the page did not finish; #error: \(dom.text(of: "error") ?? "-"), status: \(dom.text(of: "status") ?? "-")")
        let shown = try XCTUnwrap(dom.attribute("data-value", of: "recommended-price").flatMap(Double.init), "no #recommended-price[data-value]")
        XCTAssertEqual(shown, optimal, "the page recommends \(shown), the API \(optimal)")
        XCTAssertEqual(dom.text(of: "recommended-price")?.contains(String(format: "%.2f", optimal)), true, dom.text(of: "recommended-price") ?? "-")
        XCTAssertEqual(dom.text(of: "rows"), String(rows.count))
        XCTAssertEqual(try Self.pointCount(dom, "sales-line"), rows.count, "one chart point per row")
        XCTAssertEqual(dom.attribute("data-points", of: "sales-line"), String(rows.count))
        XCTAssertEqual(try Self.pointCount(dom, "quantity-line"), rows.count)
        XCTAssertNotNil(dom.startTag(id: "recommended-line"), "the recommendation is not marked on the chart")
        XCTAssertNotNil(dom.startTag(id: "quantity-band"), "no quantity band")
        XCTAssertEqual(dom.text(of: "model"), api.header("x-model"))
        XCTAssertEqual(dom.text(of: "model-version"), api.header("x-model-version"))
        XCTAssertEqual(dom.attribute("hidden", of: "error-box"), "", "the error box is showing")
        // The script replaced the query with the normalized one, and nothing outside the server was named.
        let origin = server.url("")
        XCTAssertEqual(Self.matches(#"https?://[^\s"'<>]+"#, in: load.dom).filter { !$0.hasPrefix(origin + "/") && $0 != origin }, [])
        XCTAssertEqual(load.consoleProblems, [], "the browser reported problems")

        // The screenshot the brief's reviewers look at.
        let png = try chromium.screenshot(server.url("/?stockcode=85123A"), width: 1280, height: 800)
        let path = try Self.save(png, as: "dashboard.png")
        XCTAssertEqual(Self.pngSize(png)?.width, 1280, path)
        XCTAssertEqual(Self.pngSize(png)?.height, 800, path)
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
        let optimal = try XCTUnwrap(rows.first?["optimal_unit_price"] as? Double)

        let load = try chromium.dumpDOM(server.url("/?stockcode=85123A&" + query))
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "done", dom.text(of: "error") ?? "-")
        XCTAssertEqual(dom.attribute("data-value", of: "recommended-price").flatMap(Double.init), optimal)
        XCTAssertEqual(dom.text(of: "rows"), "40")
        XCTAssertEqual(try Self.pointCount(dom, "sales-line"), 40)
        XCTAssertEqual(dom.text(of: "legend-objective"), "Predicted profit")
        XCTAssertEqual(load.consoleProblems, [])
    }

    func testUnknownProductShowsTheAPIsErrorMessage() throws {
        let server = try runningServer()
        let chromium = try Chromium.locate()
        let api = try server.request("GET", "/v1/predict-price/NOPE")
        XCTAssertEqual(api.status, 404)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(api.body)) as? [String: [String: String]])
        let message = try XCTUnwrap(body["error"]?["message"])

        let load = try chromium.dumpDOM(server.url("/?stockcode=NOPE"))
        let dom = DOM(load.dom)
        XCTAssertEqual(dom.attribute("data-state", of: "app"), "error")
        XCTAssertEqual(dom.text(of: "error"), message)
        XCTAssertEqual(dom.attribute("data-code", of: "error"), "unknown_stockcode")
        XCTAssertNil(dom.attribute("hidden", of: "error-box"), "the error is not visible")
        XCTAssertEqual(dom.attribute("data-value", of: "recommended-price"), "")
        XCTAssertNil(dom.startTag(id: "sales-line"), "a chart was drawn for an error")
        XCTAssertEqual(load.consoleProblems, [])

        let png = try chromium.screenshot(server.url("/?stockcode=NOPE"), width: 1280, height: 800)
        try Self.save(png, as: "dashboard-error.png")
        attach(png, name: "dashboard-error.png")
    }

    // MARK: - Helpers

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
