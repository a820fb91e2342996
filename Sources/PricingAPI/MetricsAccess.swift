/// Who may read `/metrics` and the detail of `/readyz` (`metrics_access`, `METRICS_ACCESS`).
///
/// Both show internals: model failure reasons and reload errors name paths and source URLs, and the
/// metrics reveal traffic and cache state. A load balancer needs none of that, only `/readyz`'s status,
/// which every client always gets.
public enum MetricsAccess: String, Sendable, CaseIterable {
    /// Anyone (the default: a Prometheus in the same network and the compose stack keep working).
    case `public`
    /// Clients connecting from the loopback address only (a sidecar or node agent on the same host).
    case loopback
    /// Clients presenting `Authorization: Bearer <ADMIN_TOKEN>` (throttled like the admin routes).
    case adminToken = "admin_token"

    /// The accepted values, for messages.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}
