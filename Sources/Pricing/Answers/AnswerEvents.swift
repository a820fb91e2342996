/// What the answers report as they happen, for the service's metrics: the Pricing module names the
/// events, the HTTP module counts them (see `ServiceMetrics`). Each defaults to doing nothing.
public struct AnswerEvents: Sendable {
    /// A curve looked up in the cache: served from it (`true`) or computed (`false`).
    public var curveCache: @Sendable (_ hit: Bool) -> Void
    /// Where a product's context rows came from for an uncached curve: "memory", "cache" or "artifact".
    public var productRows: @Sendable (_ source: String) -> Void
    /// The model that answered a computed curve.
    public var modelAnswered: @Sendable (_ model: String) -> Void
    /// A repricing run "started", "finished" or was "cancelled".
    public var repricingRun: @Sendable (_ event: String) -> Void

    public init(curveCache: @escaping @Sendable (_ hit: Bool) -> Void = { _ in },
                productRows: @escaping @Sendable (_ source: String) -> Void = { _ in },
                modelAnswered: @escaping @Sendable (_ model: String) -> Void = { _ in },
                repricingRun: @escaping @Sendable (_ event: String) -> Void = { _ in }) {
        self.curveCache = curveCache
        self.productRows = productRows
        self.modelAnswered = modelAnswered
        self.repricingRun = repricingRun
    }
}
