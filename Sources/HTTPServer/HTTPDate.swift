#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-connection cache of the `Date: <IMF-fixdate>\r\n` field line, refreshed once a second.
struct HTTPDate {
    private var second: Int = -1
    private var line: [UInt8] = []

    /// The `Date` field line for the current second.
    mutating func fieldLine() -> [UInt8] {
        let now = Int(time(nil))
        if now != second {
            second = now
            line = Self.format(now)
        }
        return line
    }

    /// `Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n` (RFC 9110 §5.6.7).
    static func format(_ seconds: Int) -> [UInt8] {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text = "Date: \(days[Int(parts.tm_wday) % 7]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon) % 12]) "
            + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
        return Array(text.utf8)
    }
}
