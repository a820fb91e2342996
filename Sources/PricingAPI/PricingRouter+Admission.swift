import HTTPServer
import Pricing

/// Admission control: expensive work a request would start is checked against the client's budget
/// (``ClientWorkBudget``) and, for repricing runs, against the run limits (``RepricingRuns``); what
/// does not fit is answered 429 with `Retry-After`, never queued.
extension PricingRouter {
    /// The estimated cost of one uncached curve or one-product recommendation, in ms of CPU (the
    /// release build computes one in about 0.5 ms on the committed version).
    static let uncachedRequestMilliseconds = 0.5
    /// The estimated cost of repricing one product in a run, in ms of CPU (4,000 products take about
    /// 0.22 CPU-seconds).
    static let repricedProductMilliseconds = 0.06

    /// Spends `cost` of the requesting client's budget; the 429 answer when it does not have it.
    func spendWorkBudget(_ cost: Double, _ request: HTTPRequest) -> HTTPResponse? {
        guard let wait = workBudget.spend(cost, client: ClientWorkBudget.client(ofPeer: request.remoteAddress)) else { return nil }
        return refused(RepricingRuns.Refusal(reason: "client_budget", message: "this client has used its budget for uncached work; retry later",
                                             retryAfterSeconds: wait))
    }

    /// The 429 answer to refused work, counted by reason.
    func refused(_ refusal: RepricingRuns.Refusal) -> HTTPResponse {
        ServiceMetrics.admissionRefused(refusal.reason)
        return APIError(status: 429, code: "too_many_requests", message: refusal.message)
            .response(extraHeaders: [("Retry-After", String(refusal.retryAfterSeconds))])
    }
}
