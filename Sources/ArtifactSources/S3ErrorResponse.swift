import Foundation

/// The `<Error><Code>…</Code><Message>…</Message></Error>` body S3 sends with a refusal.
///
/// Only two fields are needed, so they are picked out of the text rather than parsed as XML; a body
/// that is not S3's yields nil fields and the caller falls back to the status code.
struct S3ErrorResponse: Sendable {
    let code: String?
    let message: String?

    init(body: [UInt8]) {
        let text = String(decoding: body, as: UTF8.self)
        code = Self.element("Code", in: text)
        message = Self.element("Message", in: text)
    }

    private static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        let value = unescape(String(text[open.upperBound..<close.lowerBound]))
        return value.isEmpty ? nil : value
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
