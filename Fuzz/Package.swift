// swift-tools-version: 6.1
import PackageDescription

/// libFuzzer targets for every parser that reads untrusted bytes, one executable per parser.
///
/// Built apart from the service (its own package, its own build path) because every module is
/// compiled with `-sanitize=fuzzer,address`; `make fuzz` and `make test-fuzz` build and run it. The
/// targets reach internal entry points through `@testable import`, which debug builds allow. They
/// depend only on the parser modules, none of which depends on swift-crypto: the build compiles no
/// BoringSSL (nor swift-metrics, hiredis or the service's other modules).
let targets: [(product: String, dependencies: [Target.Dependency])] = [
    ("fuzz-http-head", [.product(name: "HTTPServer", package: "pricing-service")]),
    ("fuzz-chunked-body", [.product(name: "HTTPServer", package: "pricing-service")]),
    ("fuzz-query", [.product(name: "HTTPServer", package: "pricing-service"),
                    .product(name: "LambdaRuntime", package: "pricing-service")]),
    ("fuzz-lambda-event", [.product(name: "HTTPServer", package: "pricing-service"),
                           .product(name: "LambdaRuntime", package: "pricing-service")]),
    ("fuzz-manifest", [.product(name: "ArtifactFormats", package: "pricing-service")]),
    ("fuzz-safetensors", [.product(name: "ArtifactFormats", package: "pricing-service")]),
    ("fuzz-gzip", [.product(name: "ArtifactFormats", package: "pricing-service")]),
    ("fuzz-feature-store", [.product(name: "ArtifactFormats", package: "pricing-service")]),
    ("fuzz-price-response", [.product(name: "ArtifactFormats", package: "pricing-service")]),
    ("fuzz-lightgbm", [.product(name: "LightGBM", package: "pricing-service"),
                       .product(name: "ArtifactFormats", package: "pricing-service")]),
    ("fuzz-catalogue", [.product(name: "ArtifactFormats", package: "pricing-service")]),
]

let package = Package(
    name: "pricing-fuzz",
    platforms: [.macOS(.v15)],
    products: targets.map { .executable(name: $0.product, targets: [$0.product]) },
    dependencies: [.package(name: "pricing-service", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
    ] + targets.map { .executableTarget(name: $0.product, dependencies: ["FuzzSupport"] + $0.dependencies) },
    swiftLanguageModes: [.v6]
)
