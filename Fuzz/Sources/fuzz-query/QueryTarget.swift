import FuzzSupport
import HTTPServer
@testable import LambdaRuntime

/// Query strings and percent-encoding (HTTPRequest+Query, LambdaRuntime's PercentEncoding). The input
/// is read as text (invalid UTF-8 replaced) and, split at NUL bytes, as a list of names and values.
/// Properties:
/// - parsing a query, encoding its items again and parsing that gives the same items (what a handler
///   sees does not change when the Lambda runtime rebuilds a query from decoded parameters);
/// - items encoded with `queryPair` and joined with `&` parse back to exactly those items;
/// - encoding keeps only unreserved bytes and `%XX`, and decoding undoes it;
/// - a path encoded for a request target (`%` kept) decodes to what the path decoded to before;
/// - `splitTarget` splits at the first `?` and loses nothing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let text = String(decoding: input, as: UTF8.self)

    let items = HTTPRequest.queryItems(from: text)
    let rebuilt = items.map { PercentEncoding.queryPair($0.name, $0.value) }.joined(separator: "&")
    require(HTTPRequest.queryItems(from: rebuilt) == items, "query \(text.debugDescription) re-encoded as \(rebuilt.debugDescription) parses differently")

    let strings = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: UnsafeBufferPointer(rebasing: $0), as: UTF8.self) }
    var pairs: [HTTPRequest.QueryItem] = []
    for index in stride(from: 0, to: strings.count - 1, by: 2) {
        pairs.append(HTTPRequest.QueryItem(name: strings[index], value: strings[index + 1]))
    }
    let query = pairs.map { PercentEncoding.queryPair($0.name, $0.value) }.joined(separator: "&")
    // An item with an empty name and value encodes as "=", which is kept; only "" would be dropped.
    require(HTTPRequest.queryItems(from: query) == pairs, "items \(pairs) encoded as \(query.debugDescription) parse differently")

    let encoded = PercentEncoding.encode(text, keeping: PercentEncoding.unreserved)
    require(encoded.utf8.allSatisfy { PercentEncoding.unreserved.contains($0) || $0 == UInt8(ascii: "%") },
            "encoding left reserved bytes in \(encoded.debugDescription)")
    require(HTTPRequest.percentDecode(encoded) == text, "\(text.debugDescription) encoded as \(encoded.debugDescription) does not decode back")
    require(HTTPRequest.percentDecode(encoded, plusAsSpace: true) == text, "+ survived encoding of \(text.debugDescription)")

    let path = PercentEncoding.encode(text, keeping: PercentEncoding.path)
    require(path.utf8.allSatisfy { PercentEncoding.path.contains($0) }, "path encoding left \(path.debugDescription)")
    require(HTTPRequest.percentDecode(path) == HTTPRequest.percentDecode(text),
            "path \(text.debugDescription) encoded as \(path.debugDescription) decodes differently")
    require(PercentEncoding.encode(path, keeping: PercentEncoding.path) == path, "path encoding is not idempotent on \(path.debugDescription)")

    let (targetPath, targetQuery) = HTTPRequest.splitTarget(text)
    let rejoined = text.utf8.contains(UInt8(ascii: "?")) ? targetPath + "?" + targetQuery : targetPath
    require(rejoined == text && !targetPath.utf8.contains(UInt8(ascii: "?")), "splitTarget(\(text.debugDescription)) = \(targetPath.debugDescription), \(targetQuery.debugDescription)")
    return 0
}
