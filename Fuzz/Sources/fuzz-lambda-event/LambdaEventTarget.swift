import Foundation
import FuzzSupport
import HTTPServer
@testable import LambdaRuntime

/// API Gateway and function URL events (ProxyEvent, APIGatewayEvents). Properties:
/// - an event is translated into a request or refused with ``BadEvent`` (a message, never a trap);
/// - a translated request has a token method and an encoded path starting with `/` that holds only
///   request-target characters;
/// - the body is the event's text, or its base64 decoded;
/// - payload 1.0's decoded query parameters reach the handler unchanged (re-encoded by the runtime,
///   decoded by the server).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLambdaEvent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    let event: ProxyEvent
    do {
        event = try ProxyEvent(decoding: bytes)
    } catch {
        require(!error.message.isEmpty, "BadEvent without a message")
        return 0
    }
    require(!event.request.method.isEmpty && event.request.method.utf8.allSatisfy(isTokenChar), "method \(event.request.method.debugDescription)")
    require(event.request.path.hasPrefix("/"), "path \(event.request.path.debugDescription) does not start with /")
    require(event.request.path.utf8.allSatisfy { PercentEncoding.path.contains($0) }, "path \(event.request.path.debugDescription) is not encoded")

    // The document again, read independently of the runtime's Decodable types, and the event written
    // back from it: with a key given twice JSONDecoder keeps the first value and JSONSerialization
    // the last (JSON leaves it open), so the comparisons below use that canonical event, whose keys
    // are unique. JSONDecoder does not look inside fields it does not read (bad UTF-8 there passes),
    // JSONSerialization does: such events are not compared.
    guard let document = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
          let canonical = try? JSONSerialization.data(withJSONObject: document),
          let canonicalEvent = try? ProxyEvent(decoding: [UInt8](canonical)) else { return 0 }
    let request = canonicalEvent.request
    if let body = document["body"] as? String {
        if document["isBase64Encoded"] as? Bool == true {
            let decoded = body.isEmpty ? [] : Data(base64Encoded: body, options: .ignoreUnknownCharacters).map { [UInt8]($0) }
            require(decoded == request.body, "base64 body decoded to \(request.body.count) bytes")
        } else {
            require(request.body == Array(body.utf8), "body \(body.debugDescription) became \(request.body.count) bytes")
        }
    }
    if canonicalEvent.format == .v1, document["multiValueQueryStringParameters"] == nil || document["multiValueQueryStringParameters"] is NSNull,
       let parameters = document["queryStringParameters"] as? [String: Any] {
        let expected = parameters.compactMap { name, value in (value as? String).map { HTTPRequest.QueryItem(name: name, value: $0) } }
        let received = request.queryItems
        require(received.count == expected.count && Set(received) == Set(expected),
                "query parameters \(expected) reached the handler as \(received) (query \(request.query.debugDescription))")
    }
    return 0
}

/// tchar (RFC 9110 §5.6.2).
private func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
    default: Array("!#$%&'*+-.^_`|~".utf8).contains(c)
    }
}
