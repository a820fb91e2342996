import Foundation
import HTTPServer
import LambdaRuntime
import XCTest

/// Event → HTTPRequest translation, without a process.
final class ProxyEventTests: XCTestCase {
    func request(_ event: String) throws(BadEvent) -> ProxyEvent { try ProxyEvent(decoding: Array(event.utf8)) }

    func testRESTEventThroughExecuteAPI() throws {
        let event = try request(Events.rest(path: "/v1/predict-price/85123A", query: ["num_price_bins": ["5"], "unit_cost": ["1.2"]],
                                            headers: ["Accept": ["application/json"], "X-Multi": ["a", "b"]]))
        XCTAssertEqual(event.format, .v1)
        XCTAssertEqual(event.request.method, "GET")
        XCTAssertEqual(event.request.path, "/v1/predict-price/85123A")
        XCTAssertEqual(Set(event.request.queryItems.map { "\($0.name)=\($0.value)" }), ["num_price_bins=5", "unit_cost=1.2"])
        XCTAssertEqual(event.request.headers["accept"], "application/json")
        XCTAssertEqual(event.request.headers.values(for: "x-multi"), ["a", "b"])
        XCTAssertEqual(event.request.remoteAddress, "203.0.113.7")
        XCTAssertEqual(event.request.body, [])
    }

    func testRESTPathsWithAndWithoutTheStage() throws {
        // execute-api without a proxy resource: `path` is already below the stage (even a stage named like a route).
        XCTAssertEqual(try request(Events.rest(path: "/v1/products", stage: "v1", proxyResource: false)).request.path, "/v1/products")
        // A custom domain mapped at the stage's name: path and requestContext.path both carry it.
        var object = try Events.object(Array(Events.rest(path: "/beta/healthz", stage: "beta", proxyResource: false).utf8))
        var context = object["requestContext"] as! [String: Any]
        context["path"] = "/beta/healthz"
        object["requestContext"] = context
        XCTAssertEqual(try request(Events.json(object)).request.path, "/healthz")
        // A /{proxy+} resource: the proxy parameter is the path below any base path mapping.
        object = try Events.object(Array(Events.rest(path: "/healthz", stage: "prod").utf8))
        object["path"] = "/pricing/healthz"
        XCTAssertEqual(try request(Events.json(object)).request.path, "/healthz")
    }

    func testRESTQueryValuesAreReencoded() throws {
        let event = try request(Events.rest(path: "/v1/products", query: ["q": ["red heart & co+"], "limit": ["5"]], proxyResource: false))
        XCTAssertEqual(event.request.query, "limit=5&q=red%20heart%20%26%20co%2B")
        XCTAssertEqual(event.request.queryValue("q"), "red heart & co+")
    }

    func testRESTSingleValueFieldsWhenMultiValueAreAbsent() throws {
        let event = try request(#"""
        {"httpMethod":"POST","path":"/x","headers":{"Content-Type":"text/plain","X-Null":null},"queryStringParameters":{"a":"1"},
         "body":"aGVsbG8=","isBase64Encoded":true}
        """#)
        XCTAssertEqual(event.request.method, "POST")
        XCTAssertEqual(event.request.query, "a=1")
        XCTAssertEqual(event.request.headers["content-type"], "text/plain")
        XCTAssertFalse(event.request.headers.contains("x-null"))
        XCTAssertEqual(String(decoding: event.request.body, as: UTF8.self), "hello")
    }

    func testHTTPAPIEvent() throws {
        let event = try request(Events.http(method: "POST", rawPath: "/v1/predict-price/85123A", rawQueryString: "num_price_bins=5&x=a%20b",
                                            headers: ["accept": "application/json", "accept-encoding": "gzip, br"],
                                            cookies: ["session=1", "theme=dark"], body: "{}"))
        XCTAssertEqual(event.format, .v2)
        XCTAssertEqual(event.request.method, "POST")
        XCTAssertEqual(event.request.path, "/v1/predict-price/85123A")
        XCTAssertEqual(event.request.query, "num_price_bins=5&x=a%20b")
        XCTAssertEqual(event.request.headers["accept-encoding"], "gzip, br")
        XCTAssertEqual(event.request.headers["cookie"], "session=1; theme=dark")
        XCTAssertEqual(event.request.body, Array("{}".utf8))
        XCTAssertEqual(event.request.remoteAddress, "198.51.100.4")
    }

    func testHTTPAPINamedStageIsStrippedFromRawPath() throws {
        XCTAssertEqual(try request(Events.http(rawPath: "/staging/v1/products", stage: "staging")).request.path, "/v1/products")
        XCTAssertEqual(try request(Events.http(rawPath: "/staging", stage: "staging")).request.path, "/")
        XCTAssertEqual(try request(Events.http(rawPath: "/v1/products", stage: "$default")).request.path, "/v1/products")
        // A path that only starts with the stage's letters keeps them.
        XCTAssertEqual(try request(Events.http(rawPath: "/stagingx/healthz", stage: "staging")).request.path, "/stagingx/healthz")
    }

    func testPathsAreEncodedForTheRouter() throws {
        XCTAssertEqual(try request(Events.http(rawPath: "/v1/predict-price/A B\u{e9}")).request.path, "/v1/predict-price/A%20B%C3%A9")
        XCTAssertEqual(try request(Events.http(rawPath: "/v1/predict-price/A%20B")).request.path, "/v1/predict-price/A%20B")
    }

    func testBadEvents() {
        func message(_ event: String) -> BadEvent? {
            do { _ = try request(event); return nil } catch { return error }
        }
        XCTAssertEqual(message(#"{"hello": "#)?.format, .v1)
        XCTAssertTrue(message(#"{"hello": "#)?.message.contains("not valid JSON") ?? false)
        XCTAssertTrue(message("[1, 2]")?.message.contains("not a JSON object") ?? false)
        XCTAssertTrue(message(#"{"Records": []}"#)?.message.contains("httpMethod") ?? false)
        XCTAssertTrue(message(#"{"httpMethod": 7, "path": "/"}"#)?.message.contains("httpMethod") ?? false)
        XCTAssertTrue(message(#"{"httpMethod": "GET"}"#)?.message.contains("path") ?? false)
        XCTAssertTrue(message(#"{"httpMethod": "GE T", "path": "/"}"#)?.message.contains("not an HTTP method") ?? false)
        XCTAssertTrue(message(#"{"httpMethod": "GET", "path": "relative"}"#)?.message.contains("does not start with /") ?? false)
        XCTAssertTrue(message(#"{"httpMethod": "POST", "path": "/", "body": "***", "isBase64Encoded": true}"#)?.message.contains("base64") ?? false)
        let v2 = message(#"{"version": "2.0", "rawPath": "/"}"#)
        XCTAssertEqual(v2?.format, .v2)
        XCTAssertTrue(v2?.message.contains("requestContext") ?? false, v2?.message ?? "")
    }
}
