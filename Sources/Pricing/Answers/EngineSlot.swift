import Synchronization

/// The model version requests are answered with: empty until the first load finishes. Each request
/// takes the engine once, so a later swap never mixes two versions within one response.
public final class EngineSlot: Sendable {
    private let current: Mutex<PricingEngine?>

    public init(_ engine: PricingEngine? = nil) {
        current = Mutex(engine)
    }

    /// The engine in use, or nil while the service is not ready.
    public var engine: PricingEngine? { current.withLock { $0 } }

    /// Makes `engine` the one new requests use.
    public func install(_ engine: PricingEngine) {
        current.withLock { $0 = engine }
    }

    /// Installs `engine` only if `old` is still the one in use (a reload may have replaced it since);
    /// returns whether it did.
    public func replace(_ old: PricingEngine, with engine: PricingEngine) -> Bool {
        current.withLock { slot in
            guard slot === old else { return false }
            slot = engine
            return true
        }
    }
}
