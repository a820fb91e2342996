package import Logging

/// The access-log line of one answered request, the same from the HTTP server and from the Lambda
/// runtime: method, path, status, body bytes and the time taken, `GET /healthz 200 15 0.084ms`.
package func accessLogMessage(method: String, path: String, status: Int, bytes: Int, nanoseconds: UInt64) -> Logger.Message {
    let micros = nanoseconds / 1000
    let fraction = micros % 1000
    let pad = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
    return "\(method) \(path) \(status) \(bytes) \(micros / 1000).\(pad)\(fraction)ms"
}
