#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a new price ends: `.99` (2.99, 3.99, …), `.95`, `.x9` (any ten cents ending in 9: 2.49, 2.59, …),
/// `.x5`, or `.00`. Prices are compared in whole cents, so 2.99 is never 2.9899999.
public struct PriceEnding: Sendable, Equatable, Hashable {
    /// The pattern as written (`.99`, `.x9`).
    public let pattern: String
    /// Distance between consecutive allowed prices, in cents (100 for `.DD`, 10 for `.xD`).
    let stepCents: Int
    /// Allowed prices are `k · step + offset` cents.
    let offsetCents: Int

    /// Parses `.DD` or `.xD` (D a digit).
    public init(_ pattern: String) throws(RuleError) {
        let chars = Array(pattern)
        let bad = RuleError("price_ending must be .DD (e.g. .99, .95) or .xD (e.g. .x9) or none, got \"\(pattern)\"")
        guard chars.count == 3, chars[0] == ".", let last = chars[2].wholeNumberValue, chars[2].isASCII else { throw bad }
        if chars[1] == "x" || chars[1] == "X" {
            stepCents = 10
            offsetCents = last
        } else if let tens = chars[1].wholeNumberValue, chars[1].isASCII {
            stepCents = 100
            offsetCents = tens * 10 + last
        } else {
            throw bad
        }
        self.pattern = chars[1] == "X" ? ".x\(last)" : pattern
    }

    /// The largest allowed price at or below `price`, or nil when there is none above 0.
    public func atOrBelow(_ price: Double) -> Double? {
        // A hair above `price` in cents, so that 2.99 computed as 2.98999… still counts as 2.99.
        let cents = (price * 100 + 1e-6).rounded(.down)
        let k = ((cents - Double(offsetCents)) / Double(stepCents)).rounded(.down)
        let value = k * Double(stepCents) + Double(offsetCents)
        return value > 0 ? value / 100 : nil
    }

    /// The smallest allowed price at or above `price`.
    public func atOrAbove(_ price: Double) -> Double {
        let cents = (price * 100 - 1e-6).rounded(.up)
        let k = ((cents - Double(offsetCents)) / Double(stepCents)).rounded(.up)
        return (k * Double(stepCents) + Double(offsetCents)) / 100
    }

    /// Whether `price` already ends this way.
    public func matches(_ price: Double) -> Bool {
        let cents = (price * 100).rounded()
        return abs(price * 100 - cents) < 1e-6 && Int(cents) % stepCents == offsetCents
    }
}
