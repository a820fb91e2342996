/// Credentials taken out of URLs before they reach a log line, an error message or a response.
///
/// Settings such as `MODELS` and `REDIS_URL` may carry a password (`https://user:secret@host/models`,
/// `redis://:secret@host:6379`) or a presigned query (`?X-Amz-Signature=…`). Every place that prints
/// such a URL, or a message that may quote one, passes it through here first, so a secret typed into
/// a setting never ends up in a log collector, a Lambda init error or an HTTP answer.
///
/// - the password of the user info becomes `***` (`user:***@`, `:***@`); a user name alone is kept;
/// - the value of a query parameter whose name looks like a credential becomes `***`
///   (``isCredentialParameter(_:)``: `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`,
///   `token`, `access_token`, `password`, `secret`, `sig`, `api_key`…).
///
/// It works on text rather than on a parsed URL, because the URLs to hide are often inside a longer
/// message (an error that quotes the setting) and may not even parse (a mistyped setting is exactly
/// when it gets printed).
public enum CredentialRedaction {
    /// What a hidden value is replaced with.
    public static let mask = "***"

    /// `text` with the credentials of every `scheme://…` URL in it masked; other text is unchanged.
    public static func redactingURLs(in text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            // The scheme: the letters, digits, '+', '-' and '.' right before "://".
            var schemeStart = separator.lowerBound
            while schemeStart > rest.startIndex {
                let before = rest.index(before: schemeStart)
                guard isSchemeCharacter(rest[before]) else { break }
                schemeStart = before
            }
            // The URL ends at white space, a quote or a bracket that cannot be part of it.
            let end = rest[separator.upperBound...].firstIndex(where: isURLTerminator) ?? rest.endIndex
            out += rest[..<schemeStart]
            out += redactingURL(String(rest[schemeStart..<end]))
            rest = rest[end...]
        }
        out += rest
        return out
    }

    /// One URL (`scheme://[user[:password]@]host…[?query][#fragment]`) with its credentials masked.
    ///
    /// The user info ends at the last '@' before the query, not at the first '/', so a password typed
    /// with an unescaped '/', '#' or '@' is still hidden whole (at worst a path holding an '@' is
    /// masked too: hiding too much is the safe mistake).
    public static func redactingURL(_ url: String) -> String {
        guard let separator = url.range(of: "://") else { return url }
        var out = String(url[..<separator.upperBound])
        var rest = url[separator.upperBound...]
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        if let at = rest[..<queryStart].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                out += userInfo[...colon] + mask
            } else {
                out += userInfo
            }
            rest = rest[at...]
        }
        guard let question = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...question]
        let queryEnd = rest[question...].firstIndex(of: "#") ?? rest.endIndex
        let query = rest[rest.index(after: question)..<queryEnd]
        out += query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "="), isCredentialParameter(String(parameter[..<equals])) else {
                return String(parameter)
            }
            return parameter[...equals] + mask
        }.joined(separator: "&")
        return out + rest[queryEnd...]
    }

    /// Whether a query parameter's name says its value is a credential: AWS presigned-URL parameters,
    /// and any name that contains token, secret, password, signature, credential or key.
    public static func isCredentialParameter(_ name: String) -> Bool {
        let lower = name.lowercased()
        if ["sig", "pass", "pwd", "auth", "code"].contains(lower) { return true }
        return ["token", "secret", "passw", "signature", "credential", "key", "apikey", "session"].contains { lower.contains($0) }
    }

    static func isSchemeCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "+" || c == "-" || c == ".")
    }

    static func isURLTerminator(_ c: Character) -> Bool {
        // Only characters a URL cannot hold unescaped: a ',' or ')' may be part of a typed password.
        c.isWhitespace || c == "\"" || c == "<" || c == ">" || c == "`"
    }
}
