import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `pricing-server healthcheck`: GET a URL on this host and exit 0 on a 2xx answer. The container's
/// HEALTHCHECK uses it, so the slim runtime image needs no curl or wget.
struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the service at --port answers 2xx to GET --path (for container health checks).")

    @Option(help: "Port of the service on 127.0.0.1 (default: $PORT, else 8080).")
    var port: Int?

    @Option(help: "Path to request.")
    var path = "/healthz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 3.0

    func run() async throws {
        let target = port ?? ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 8080
        guard (1...65535).contains(target), path.hasPrefix("/"), !path.contains(" "), timeout > 0,
              let url = URL(string: "http://127.0.0.1:\(target)\(path)") else {
            throw ValidationError("port must be 1-65535, path must start with / and contain no spaces, timeout must be > 0")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        guard let (_, response) = try? await URLSession.shared.data(for: request),
              let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else { throw ExitCode(1) }
    }
}
