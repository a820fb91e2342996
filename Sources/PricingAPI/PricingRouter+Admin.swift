import Foundation
import HTTPServer

/// `POST /admin/reload`: checks the artifact source for a newer version now (as SIGHUP does), for a
/// deploy script that just published one. Guarded by a bearer token from the configuration
/// (ADMIN_TOKEN); without a configured token the route is disabled. The token check and its
/// throttling are in PricingRouter+Access.swift.
extension PricingRouter {
    func adminReload(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == "POST" else {
            return methods(request, allowed: ["POST"]) { HTTPResponse(status: .ok) }
        }
        guard let reloader else {
            return APIError(status: 403, code: "admin_disabled", message: "the admin routes are disabled: set ADMIN_TOKEN to enable them").response
        }
        if let refusal = adminRefusal(request, route: "POST /admin/reload") { return refusal }
        var force = false
        for item in request.queryItems {
            guard item.name == "force" else {
                return APIError.badRequest("unknown_parameter", "unknown query parameter \(item.name); allowed: force").response
            }
            guard ["true", "false", "1", "0"].contains(item.value) else {
                return APIError.badRequest("invalid_force", "force must be true or false, got \"\(item.value)\"").response
            }
            force = force || item.value == "true" || item.value == "1"
        }
        let outcome = await reloader.reload(force: force)
        var w = JSONWriter()
        let status: Int
        switch outcome {
        case .unchanged, .swapped:
            status = 200
            w.raw("{"); Self.writeResult(outcome, into: &w)
            if case .swapped(let from, _, _) = outcome {
                w.raw(","); w.key("from"); if let from { w.string(from) } else { w.raw("null") }
            }
            w.raw("}")
        case .rejected(let version, let reason):
            // The source was unreachable (503) or the version it offers is bad (422); either way the
            // version serving is unchanged, and the body says which one that is.
            status = version == nil ? 503 : 422
            w.raw("{\"error\":{"); w.key("code"); w.string(version == nil ? "source_unavailable" : "version_rejected"); w.raw(",")
            w.key("message"); w.string(reason); w.raw(","); w.key("rejected_version")
            if let version { w.string(version) } else { w.raw("null") }
            w.raw(","); w.key("model_version")
            if let serving = slot.engine?.version { w.string(serving) } else { w.raw("null") }
            w.raw("}}")
        }
        return HTTPResponse(status: HTTPStatus(status), headers: HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store")]),
                            body: w.bytes)
    }

    /// `{"result", ..., "at"}` of the last reload, for /readyz.
    static func writeReload(_ event: (outcome: ModelReloader.Outcome, at: Date), into w: inout JSONWriter) {
        w.raw("{"); writeResult(event.outcome, into: &w)
        w.raw(","); w.key("at"); w.string(ISO8601DateFormatter().string(from: event.at)); w.raw("}")
    }

    /// An outcome's fields: `"result"`, then `"model_version"` (and `"seconds"` for a swap), or
    /// `"rejected_version"` and `"reason"`.
    static func writeResult(_ outcome: ModelReloader.Outcome, into w: inout JSONWriter) {
        w.key("result")
        switch outcome {
        case .unchanged(let version):
            w.string("unchanged"); w.raw(","); w.key("model_version"); w.string(version)
        case .swapped(_, let to, let seconds):
            w.string("swapped"); w.raw(","); w.key("model_version"); w.string(to); w.raw(","); w.key("seconds"); w.number(seconds)
        case .rejected(let version, let reason):
            w.string("rejected"); w.raw(","); w.key("rejected_version")
            if let version { w.string(version) } else { w.raw("null") }
            w.raw(","); w.key("reason"); w.string(reason)
        }
    }
}
