import Foundation
import HTTPServer
import LambdaRuntime
import XCTest

/// Handler responses → answer documents, and the whole event → answer path with a closure handler.
final class ProxyResponseTests: XCTestCase {
    func testV1DocumentHasHeadersAndMultiValueHeaders() throws {
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Vary", "Origin"), ("Vary", "Accept-Encoding"),
                                   ("Connection", "close"), ("Content-Length", "2")])
        let document = try Events.object(ProxyResponse.encode(status: 201, headers: headers, body: Array("{}".utf8), format: .v1))
        XCTAssertEqual(document["statusCode"] as? Int, 201)
        XCTAssertEqual(document["body"] as? String, "{}")
        XCTAssertEqual(document["isBase64Encoded"] as? Bool, false)
        XCTAssertEqual(document["headers"] as? [String: String], ["Content-Type": "application/json", "Vary": "Origin"])
        XCTAssertEqual(document["multiValueHeaders"] as? [String: [String]],
                       ["Content-Type": ["application/json"], "Vary": ["Origin", "Accept-Encoding"]])
    }

    func testV2DocumentJoinsHeadersAndMovesSetCookie() throws {
        let headers = HTTPHeaders([("Vary", "Origin"), ("Vary", "Accept-Encoding"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        let document = try Events.object(ProxyResponse.encode(status: 200, headers: headers, body: Array("ok".utf8), format: .v2))
        XCTAssertEqual(document["headers"] as? [String: String], ["Vary": "Origin, Accept-Encoding"])
        XCTAssertEqual(document["cookies"] as? [String], ["a=1", "b=2"])
        XCTAssertNil(document["multiValueHeaders"])
    }

    func testBinaryAndContentCodedBodiesAreBase64() throws {
        let binary = try Events.object(ProxyResponse.encode(status: 200, headers: [:], body: [0xFF, 0x00, 0xC3], format: .v1))
        XCTAssertEqual(binary["isBase64Encoded"] as? Bool, true)
        XCTAssertEqual(binary["body"] as? String, "/wDD")
        let gzip = try Events.object(ProxyResponse.encode(status: 200, headers: ["Content-Encoding": "gzip"], body: Array("text".utf8), format: .v2))
        XCTAssertEqual(gzip["isBase64Encoded"] as? Bool, true)
        XCTAssertEqual(Events.body(of: gzip), Array("text".utf8))
    }

    func testBadEventAnswer() throws {
        let document = try Events.object(ProxyResponse.badEvent(BadEvent("nope \"quoted\"")))
        XCTAssertEqual(document["statusCode"] as? Int, 400)
        let body = try Events.object(Events.body(of: document))
        XCTAssertEqual(body["error"] as? [String: String], ["code": "bad_event", "message": "nope \"quoted\""])
    }

    func testIntegrationDrainsStreamedBodies() async throws {
        let integration = ProxyIntegration(handler: ClosureHTTPHandler { request in
            HTTPResponse.stream(headers: ["Content-Type": "application/x-ndjson"]) { writer in
                for i in 0..<3 { try await writer.write("{\"i\":\(i),\"path\":\"\(request.path)\"}\n") }
            }
        })
        let answer = await integration.answer(Array(Events.http(rawPath: "/lines").utf8))
        XCTAssertEqual(answer.status, 200)
        let document = try Events.object(try answer.result.get())
        XCTAssertEqual(document["body"] as? String, "{\"i\":0,\"path\":\"/lines\"}\n{\"i\":1,\"path\":\"/lines\"}\n{\"i\":2,\"path\":\"/lines\"}\n")
        XCTAssertEqual((document["headers"] as? [String: String])?["Content-Type"], "application/x-ndjson")
    }

    func testIntegrationReportsAFailedStreamAsAnInvocationError() async throws {
        struct Broken: Error {}
        let integration = ProxyIntegration(handler: ClosureHTTPHandler { _ in
            HTTPResponse.stream { writer in
                try await writer.write("partial")
                throw Broken()
            }
        })
        let answer = await integration.answer(Array(Events.rest(path: "/x").utf8))
        guard case .failure(let error) = answer.result else { return XCTFail("expected a failure") }
        XCTAssertEqual(error.type, "Runtime.ResponseStreamFailed")
    }

    func testIntegrationHeadHasNoBody() async throws {
        let integration = ProxyIntegration(handler: ClosureHTTPHandler { _ in HTTPResponse(body: "hello") })
        let answer = await integration.answer(Array(Events.rest(method: "HEAD", path: "/x").utf8))
        XCTAssertEqual(try Events.object(try answer.result.get())["body"] as? String, "")
    }

    func testIntegrationAnswersBadEventsWith400() async throws {
        let integration = ProxyIntegration(handler: ClosureHTTPHandler { _ in XCTFail("handler called"); return HTTPResponse() })
        let answer = await integration.answer(Array("not json".utf8))
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(try Events.object(try answer.result.get())["statusCode"] as? Int, 400)
    }
}
