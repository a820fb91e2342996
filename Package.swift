// swift-tools-version: 6.1
import PackageDescription

/// Modules, bottom to top; a module depends only on the ones below it:
/// - ArtifactFormats (on CZlib): every file format read from untrusted bytes, parsed from bytes with
///   no folder, network or cryptography: the manifest (and the file list a download reads first),
///   manifest.json.sig and the decision of its check (the ed25519 arithmetic is passed in), safetensors,
///   gzip, the feature store, the price response table, the CSV and JSON readers, the catalogue file
///   and its items. No swift-crypto: the fuzz targets (Fuzz/) build on it alone.
/// - LightGBM (on ArtifactFormats): LightGBM's text model, read into a tree ensemble that predicts.
/// - Storage (on ArtifactFormats and swift-crypto): the local version folder (checksums, the pinned
///   ed25519 keys of `ArtifactTrust`, the tables read from a folder, the experiment plan), the `ArtifactSource` protocol with
///   its local implementation; the one chunked parallel loop (`forEachChunk`) and the idle-priority
///   background threads the modules above share.
/// - ArtifactSources (on ArtifactFormats and Storage): http(s) and S3 models roots, SigV4 and the AWS credential
///   providers, the download cache, the source for a `MODELS` setting.
/// - CPUFeatures, DenseKernelCore, DenseKernelGeneric/AVX2/AVX512: the dense kernel, one source
///   compiled per CPU variant.
/// - Inference (on Storage, LightGBM and the kernels): the preprocessor and the models of the fallback chain.
/// - Cache: the `ExpiringByteCache` protocol, the in-process LRU and Redis (signed values), single flight.
/// - Pricing (on ArtifactFormats, Storage, Inference, Cache): the context-row writer, the price response and curve, the
///   one decision (`PriceDecision`: a request is a one-product repricing without rules), repricing runs
///   and their lifecycle, and `PriceAnswers`, the service's answers with their cache order.
/// - Ledger (on ArtifactFormats for the CSV and JSON readers, CSQLite and CLibPQ): the sales ledger (what sold,
///   ingest batches, experiment assignments) behind the `SalesLedger` protocol, in SQLite (one file, the
///   default) or PostgreSQL (`DATABASE_URL`, shared by replicas).
/// - HTTPServer (on CEpoll, the <sys/epoll.h> shim): HTTP/1.1 on sockets with its own readiness loop
///   (`SocketPoller`: epoll, kqueue on macOS), knows nothing of pricing.
/// - PricingAPI (on HTTPServer, Pricing, Cache, Ledger, Storage; ArtifactFormats for gzip): routes, parsing, rendering; compression,
///   CORS and request metrics as handlers around the routes; hot reload, the client work budget.
/// - LambdaRuntime (on HTTPServer): the Lambda Runtime API loop and API Gateway events.
/// - pricing-server: the executable that wires them (`serve`, `predict`, `recommend`, `ingest`, `bench`, `healthcheck`).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The dense kernel is compiled three times, each variant for its own CPU, and `DenseKernelVariant`
/// (Inference) picks one at load time from CPUID, the way ggml builds CPU variants and picks one at
/// load. Everything else is compiled for the toolchain's default target (baseline x86-64), so plain
/// `swift build -c release` gives the fast binary and that binary starts on any x86-64 CPU: no global
/// `-target-cpu` flag, and so nothing outside the dispatched kernels can raise SIGILL on an older
/// CPU. `#if arch(x86_64)` reads the host the manifest runs on (builds are native here); elsewhere
/// (arm64 Linux, macOS) the variants are plain portable builds and only the generic one is picked.
#if arch(x86_64)
let avx2Kernel: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]  // x86-64-v3
let avx512Kernel: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]  // x86-64-v4
#else
let avx2Kernel: [SwiftSetting] = []
let avx512Kernel: [SwiftSetting] = []
#endif

/// The modules a version load and a repricing run spend their time in are optimized in debug builds too: a
/// run over the committed 4,000 products took 17 CPU seconds at -Onone against 0.5 in a release build, and
/// the tests (`swift test`, `make test`) make a few dozen loads and runs. Tests and everything else stay at
/// -Onone; `assert` is not used in these modules, so no check is compiled out.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "pricing-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pricing-server", targets: ["pricing-server"]),
        // The parser modules, for the fuzz targets in Fuzz/ (a separate package built with sanitizers);
        // none depends on swift-crypto, so the fuzz build compiles no BoringSSL.
        .library(name: "ArtifactFormats", targets: ["ArtifactFormats"]),
        .library(name: "LightGBM", targets: ["LightGBM"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "LambdaRuntime", targets: ["LambdaRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "ArtifactFormats", dependencies: ["CZlib"], swiftSettings: strict + optimizedInDebug),
        .target(name: "LightGBM", dependencies: ["ArtifactFormats"], swiftSettings: strict + optimizedInDebug),
        .target(
            name: "Storage",
            dependencies: [
                "ArtifactFormats",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict + optimizedInDebug
        ),
        .target(
            name: "ArtifactSources",
            dependencies: [
                "ArtifactFormats", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "Cache",
            dependencies: [
                "CHiredis",
                // HMAC-SHA256 of the values kept in Redis; the rejected-value counter (swift-metrics API only).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // libpq, the PostgreSQL client library, for the ledger replicas share (DATABASE_URL).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "Ledger",
            dependencies: ["CSQLite", "CLibPQ", "ArtifactFormats", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // <sys/epoll.h> for the server's socket poller (Linux; empty elsewhere).
        .systemLibrary(name: "CEpoll"),
        .target(
            name: "HTTPServer",
            dependencies: ["CEpoll", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "CPUFeatures"),
        .target(name: "DenseKernelCore", swiftSettings: strict + optimizedInDebug),
        .target(name: "DenseKernelGeneric", dependencies: ["DenseKernelCore"], swiftSettings: strict + optimizedInDebug),
        .target(name: "DenseKernelAVX2", dependencies: ["DenseKernelCore"], swiftSettings: strict + avx2Kernel + optimizedInDebug),
        .target(name: "DenseKernelAVX512", dependencies: ["DenseKernelCore"], swiftSettings: strict + avx512Kernel + optimizedInDebug),
        .target(
            name: "Inference",
            dependencies: ["ArtifactFormats", "LightGBM", "Storage", "CPUFeatures", "DenseKernelCore", "DenseKernelGeneric", "DenseKernelAVX2", "DenseKernelAVX512"],
            swiftSettings: strict + optimizedInDebug
        ),
        .target(
            name: "Pricing",
            dependencies: ["ArtifactFormats", "Storage", "Inference", "Cache"],
            swiftSettings: strict + optimizedInDebug
        ),
        .target(
            name: "PricingAPI",
            dependencies: [
                "HTTPServer", "Pricing", "ArtifactFormats", "Storage", "Cache", "Ledger",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The dashboard's files and the OpenAPI document, compiled into the binary as byte arrays (PackageResources).
            resources: [
                .embedInCode("OpenAPI/openapi.json"),
                .embedInCode("Dashboard/Web/index.html"), .embedInCode("Dashboard/Web/dashboard.css"),
                .embedInCode("Dashboard/Web/dashboard.js"), .embedInCode("Dashboard/Web/favicon.svg"),
                .embedInCode("Dashboard/Web/dashboard/api.js"), .embedInCode("Dashboard/Web/dashboard/chart.js"),
                .embedInCode("Dashboard/Web/dashboard/chart-svg.js"), .embedInCode("Dashboard/Web/dashboard/chart-tooltip.js"),
                .embedInCode("Dashboard/Web/dashboard/curve.js"), .embedInCode("Dashboard/Web/dashboard/format.js"),
                .embedInCode("Dashboard/Web/dashboard/page.js"), .embedInCode("Dashboard/Web/dashboard/product-search.js"),
                .embedInCode("Dashboard/Web/dashboard/summary.js"), .embedInCode("Dashboard/Web/dashboard/table.js"),
                .embedInCode("Dashboard/Web/catalogue.html"), .embedInCode("Dashboard/Web/catalogue.js"),
                .embedInCode("Dashboard/Web/experiments.html"), .embedInCode("Dashboard/Web/experiments.js"),
            ],
            swiftSettings: strict
        ),
        .target(name: "LambdaRuntime", dependencies: ["HTTPServer", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(
            name: "pricing-server",
            dependencies: [
                "ArtifactFormats", "Storage", "ArtifactSources", "Inference", "Pricing", "PricingAPI", "HTTPServer", "Cache", "LambdaRuntime", "Ledger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "TestSupport", dependencies: ["ArtifactFormats", "Storage", .product(name: "Crypto", package: "swift-crypto"),
                                                .product(name: "Logging", package: "swift-log")],
                path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "CacheTests", dependencies: ["Cache", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "StorageTests", dependencies: ["ArtifactFormats", "Storage", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "InferenceTests", dependencies: ["ArtifactFormats", "LightGBM", "Storage", "Inference", "TestSupport"], exclude: ["Fixtures"],
                    swiftSettings: strict),
        .testTarget(name: "PricingServerTests", dependencies: ["TestSupport"], swiftSettings: strict),
        .testTarget(name: "PricingAPITests", dependencies: ["PricingAPI", "HTTPServer", "Pricing", "ArtifactFormats", "Storage", "Cache", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "ArtifactSourceTests", dependencies: ["ArtifactFormats", "Storage", "ArtifactSources", "HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", "HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "DashboardTests", dependencies: ["TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelReloadTests", dependencies: ["PricingAPI", "HTTPServer", "Pricing", "ArtifactFormats", "Storage", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "CSQLite", "CLibPQ", "PricingAPI", "HTTPServer", "Pricing", "ArtifactFormats", "Storage", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "PricingTests", dependencies: ["ArtifactFormats", "Storage", "Inference", "Pricing", "TestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
