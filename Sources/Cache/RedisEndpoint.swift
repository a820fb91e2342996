/// Why a `RedisCache` could not be created. Redis trouble at run time is never an error (it is a
/// miss); only a configuration that can never work is.
public enum RedisCacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not `redis://[[user]:password@]host[:port][/db]`. `url` has any password redacted.
    case invalidURL(url: String, reason: String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "invalid Redis URL '\(url)': \(reason) (expected redis://[:password@]host:port[/db])"
        case .invalidConfiguration(let reason):
            "invalid Redis cache configuration: \(reason)"
        }
    }
}

/// Where a Redis server is and how to log in: parsed from `redis://[[user]:password@]host[:port][/db]`.
/// The port defaults to 6379 and the database to 0; user and password are percent-decoded; an IPv6
/// host is written in brackets (`redis://[::1]:6379`).
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    public init(url: String) throws(RedisCacheError) {
        let shown = Self.redact(url)
        func fail(_ reason: String) -> RedisCacheError { .invalidURL(url: shown, reason: reason) }

        guard let schemeEnd = url.firstRange(of: "://") else { throw fail("missing scheme 'redis://'") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" { throw fail("TLS (rediss://) is not supported") }
        guard scheme == "redis" else { throw fail("unsupported scheme '\(scheme)', expected 'redis'") }
        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.contains("?") || rest.contains("#") { throw fail("query strings and fragments are not supported") }

        // Path: "" or "/" → database 0, "/N" → database N.
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard path.allSatisfy({ $0.isASCII }), let db = Int(path), db >= 0 else {
                    throw fail("database '\(path)' is not a non-negative integer")
                }
                database = db
            }
        }

        // User info: everything before the last "@".
        var username: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw fail("user info must be ':password' or 'user:password'")
            }
            guard let user = Self.percentDecode(userInfo[..<colon]),
                  let pass = Self.percentDecode(userInfo[userInfo.index(after: colon)...])
            else { throw fail("bad percent-encoding in user info") }
            username = user.isEmpty ? nil : user
            password = pass
        }

        // Host and port.
        var host: Substring, portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw fail("unexpected characters after IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
            portText = nil
        }
        guard !host.isEmpty else { throw fail("missing host") }
        guard !host.contains(where: { $0 == " " || $0 == "/" || $0 == "@" }) else { throw fail("bad host '\(host)'") }
        var port = 6379
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII }), let p = Int(portText), (1...65535).contains(p) else {
                throw fail("port '\(portText)' is not a number in 1...65535")
            }
            port = p
        }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    /// The endpoint as a URL with the password replaced by "***" (safe for logs and /readyz).
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let auth = password == nil ? "" : "\(username ?? ""):***@"
        return "redis://\(auth)\(hostPart):\(port)/\(database)"
    }

    /// `url` with the user info's password replaced by "***".
    static func redact(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        guard let at = afterScheme[..<authorityEnd].lastIndex(of: "@") else { return url }
        let userInfo = afterScheme[..<at]
        let user = userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? ""
        return url[..<schemeEnd.upperBound] + user + ":***" + afterScheme[at...]
    }

    private static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
