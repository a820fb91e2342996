import Pricing
import Dispatch
import HTTPServer

/// The request counter and duration histogram around a handler, by route template, method and status
/// (labels from a fixed set, so clients cannot create series).
struct RequestMetrics<Inner: HTTPHandler>: HTTPHandler {
    let inner: Inner

    init(_ inner: Inner) { self.inner = inner }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = await inner.handle(request)
        ServiceMetrics.request(route: PricingRouter.routeLabel(request.path), method: PricingRouter.methodLabel(request.method),
                               status: response.status.code, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        return response
    }
}

/// Every answer says which model version was serving (predict-price sets the one it actually used).
struct ModelVersionHeader<Inner: HTTPHandler>: HTTPHandler {
    let slot: EngineSlot
    let inner: Inner

    init(_ slot: EngineSlot, _ inner: Inner) {
        self.slot = slot
        self.inner = inner
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var response = await inner.handle(request)
        if !response.headers.contains("x-model-version"), let version = slot.engine?.version {
            response.headers.add("X-Model-Version", version)
        }
        return response
    }
}
