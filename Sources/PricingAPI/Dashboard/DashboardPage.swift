public import HTTPServer
import Storage

/// The built-in dashboard: a page at `/` (and `/index.html`) that searches the catalogue, streams a
/// price curve from `/v1/predict-price` as NDJSON and draws it, and the catalogue view at
/// `/catalogue.html` (a repricing run from `/v1/recommendations`), the experiments view at
/// `/experiments.html` (the price-test plan from `/v1/experiments`), with their stylesheet, scripts (the
/// product view's as native ES modules under `/dashboard/`) and icon. No build step and no third-party
/// code: the assets are the plain files in `Dashboard/Web`, embedded into the binary at build time, and
/// the pages load nothing from anywhere but this server.
public enum DashboardPage {
    /// One compiled-in file.
    struct Asset: Sendable {
        let contentType: String
        let bytes: [UInt8]
        /// A weak validator from the content, so a browser revalidates cheaply (304) and never keeps
        /// an old script after the binary changes.
        let etag: String

        init(_ contentType: String, _ bytes: [UInt8]) {
            self.contentType = contentType
            self.bytes = bytes
            // The first 64 bits of the sha256: enough to tell versions of a file apart.
            etag = "W/\"" + sha256Hex(bytes).prefix(16) + "\""
        }
    }

    /// The paths the dashboard answers.
    public static let paths: Set<String> = Set(assets.keys)

    /// Only this server: no inline script or style, no other origin, no framing.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let assets: [String: Asset] = {
        // The files in Dashboard/Web, embedded at build time (Package.swift: .embedInCode).
        let page = Asset("text/html; charset=utf-8", PackageResources.index_html)
        // The views' scripts are native ES modules: /dashboard.js (the product view) imports the ones in
        // /dashboard/; /catalogue.js and /experiments.js share its table.js.
        // A module must come as JavaScript (browsers refuse another type) from this origin (the policy).
        let modules: [String: [UInt8]] = [
            "api.js": PackageResources.api_js, "chart.js": PackageResources.chart_js,
            "chart-svg.js": PackageResources.chart_svg_js, "chart-tooltip.js": PackageResources.chart_tooltip_js,
            "curve.js": PackageResources.curve_js, "format.js": PackageResources.format_js,
            "page.js": PackageResources.page_js, "product-search.js": PackageResources.product_search_js,
            "summary.js": PackageResources.summary_js, "table.js": PackageResources.table_js,
        ]
        let script = { (bytes: [UInt8]) in Asset("text/javascript; charset=utf-8", bytes) }
        var assets: [String: Asset] = [
            "/": page,
            "/index.html": page,
            "/dashboard.css": Asset("text/css; charset=utf-8", PackageResources.dashboard_css),
            "/dashboard.js": script(PackageResources.dashboard_js),
            "/favicon.svg": Asset("image/svg+xml", PackageResources.favicon_svg),
            "/catalogue.html": Asset("text/html; charset=utf-8", PackageResources.catalogue_html),
            "/catalogue.js": script(PackageResources.catalogue_js),
            "/experiments.html": Asset("text/html; charset=utf-8", PackageResources.experiments_html),
            "/experiments.js": script(PackageResources.experiments_js),
        ]
        for (name, bytes) in modules { assets["/dashboard/" + name] = script(bytes) }
        return assets
    }()

    /// The asset at `request.path` (a GET or HEAD), 304 when the client's copy is current, 404 for
    /// any other path.
    public static func response(_ request: HTTPRequest) -> HTTPResponse {
        guard let asset = assets[request.path] else {
            return APIError(status: 404, code: "not_found", message: "no route for \(request.path)").response
        }
        let headers: [(String, String)] = [
            ("Content-Type", asset.contentType),
            ("Cache-Control", "no-cache"),
            ("ETag", asset.etag),
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ]
        if let tags = request.headers["if-none-match"], matches(tags, asset.etag) {
            return HTTPResponse(status: .notModified, headers: HTTPHeaders(headers.filter { $0.0 != "Content-Type" }))
        }
        return HTTPResponse(status: .ok, headers: HTTPHeaders(headers), body: asset.bytes)
    }

    /// Weak comparison of an `If-None-Match` list with an entity tag (RFC 9110 §13.1.2).
    static func matches(_ list: String, _ etag: String) -> Bool {
        func opaque(_ tag: Substring) -> Substring {
            let text = Substring(tag.trimmingWhitespace())
            return text.hasPrefix("W/") ? text.dropFirst(2) : text
        }
        let target = opaque(Substring(etag))
        return list.split(separator: ",").contains { opaque($0) == target || opaque($0) == "*" }
    }
}
