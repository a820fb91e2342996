import Foundation

/// manifest.json of an artifact version (see models/README.md). Unknown fields are ignored.
public struct Manifest: Decodable, Sendable {
    public struct Features: Decodable, Sendable {
        public let numeric: [String]
        public let categorical: [String]
        public let contextNumeric: [String]
        public let priceFeatures: [PriceFeatureSpec]
    }

    /// One price-dependent feature: `identity`, `log`, or `ratio` to a context column `stat`.
    public struct PriceFeatureSpec: Decodable, Sendable, Equatable {
        public let name: String
        public let op: String
        public let stat: String?
        public init(name: String, op: String, stat: String? = nil) {
            self.name = name
            self.op = op
            self.stat = stat
        }
    }

    public struct Preprocessor: Decodable, Sendable {
        public struct Numeric: Decodable, Sendable {
            public let name: String
            public let median: Double
            public let mean: Double
            public let scale: Double
        }
        public struct Categorical: Decodable, Sendable {
            public let name: String
            public let categories: [String]
        }
        public let numeric: [Numeric]
        public let categorical: [Categorical]
        public let denseWidth: Int
        public let treeWidth: Int
    }

    public struct Model: Decodable, Sendable {
        public struct Architecture: Decodable, Sendable {
            public let inputs: Int
            public let hidden: [Int]
            public let batchNorm: Bool
            public let batchNormEps: Double
            public let activation: String
        }
        public struct Kernel: Decodable, Sendable {
            public let type: String
            public let gamma: Double
            public let coef0: Double
            public let degree: Int
        }
        public struct Metrics: Decodable, Sendable {
            public let mseLog: Double
            public let rmsle: Double
            public let mae: Double
        }
        public let name: String
        public let kind: String
        public let role: String?
        public let inputLayout: String
        public let file: String
        public let architecture: Architecture?
        public let kernel: Kernel?
        public let categoricalInputs: [Int]?
        public let metrics: Metrics?
    }

    public struct FeatureStore: Decodable, Sendable {
        public let index: String
        public let shards: Int
        public let shardPattern: String
        public let columns: [String]
        public let rowsPerProduct: Int
        public let products: Int
    }

    public struct FileEntry: Decodable, Sendable {
        public let sha256: String
        public let bytes: Int
    }

    public let formatVersion: Int
    public let modelVersion: String
    public let createdAt: String
    public let features: Features
    public let preprocessor: Preprocessor
    public let models: [Model]
    public let featureStore: FeatureStore
    public let golden: String?
    public let files: [String: FileEntry]

    /// The only format this reader understands.
    public static let supportedFormatVersion = 1
}

extension Manifest {
    /// Throws unless `formatVersion` is ``supportedFormatVersion``; `file` names the manifest.
    static func checkFormatVersion(_ formatVersion: Int, file: String) throws(ArtifactError) {
        guard formatVersion == supportedFormatVersion else {
            throw ArtifactError(file: file, .unsupported(
                "format_version \(formatVersion); this service reads \(supportedFormatVersion)"))
        }
    }
}

/// Decodes JSON the training pipeline wrote (manifest.json, the feature store index): snake_case keys
/// map to camelCase properties. Bad JSON is `.malformed`, naming `file`, with the decoder's reason
/// (after `context` when given).
func decodeArtifactJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String,
                                      context: String? = nil) throws(ArtifactError) -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
        return try decoder.decode(type, from: Data(bytes))
    } catch {
        throw ArtifactError(file: file, .malformed(context.map { "\($0) (\(error))" } ?? String(describing: error)))
    }
}
