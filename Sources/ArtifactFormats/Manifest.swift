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
        public let name: String
        public let kind: String
        public let role: String?
        public let inputLayout: String
        public let file: String
        public let architecture: Architecture?
        public let kernel: Kernel?
        public let categoricalInputs: [Int]?
        /// Test-split metrics by name (format 2: `poisson_deviance`); informational only.
        public let metrics: [String: Double]?
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

    /// What the models predict (`name`); format 2's is ``Manifest/baselineTarget``.
    public struct Target: Decodable, Sendable {
        public let name: String
    }

    /// The products' price response (docs/price-response.md): the file with its tensors, the curve's
    /// form, the number of posterior draws per product, and the decision rule's settings.
    public struct PriceResponse: Decodable, Sendable {
        /// Settings of the price decision: the search grid's size and the evidence a change needs.
        public struct Decision: Decodable, Sendable {
            /// Log-spaced prices searched between the search range's ends.
            public let gridPoints: Int
            /// A change needs at least this posterior probability that it gains.
            public let minProbabilityOfGain: Double
            /// A change needs at least this expected gain, as a fraction of the objective at the current price.
            public let minExpectedGain: Double
            /// A change needs at most this share of the draws to lose more than ``lossThreshold`` of the
            /// current objective (docs/price-response.md, step 7); absent (versions before it): no bound.
            public let maxLossProbability: Double?

            /// A draw "loses" at a price when its objective there is more than this share of `|V_s(p0)|`
            /// below its objective at the current price (`decision.LOSS_THRESHOLD` in training).
            public static let lossThreshold = 0.01

            public init(gridPoints: Int, minProbabilityOfGain: Double, minExpectedGain: Double,
                        maxLossProbability: Double? = nil) {
                self.gridPoints = gridPoints
                self.minProbabilityOfGain = minProbabilityOfGain
                self.minExpectedGain = minExpectedGain
                self.maxLossProbability = maxLossProbability
            }
        }
        public let file: String
        /// `log_quadratic`: log demand is `b·Δ + c·Δ²` in `Δ = ln p − ln p_ref`.
        public let form: String
        /// Posterior draws of `(b, c)` per product.
        public let draws: Int
        public let decision: Decision
    }

    /// The price-test plan the learning loop published with this version (docs/experiments.md).
    public struct Experiments: Decodable, Sendable {
        /// The plan's file, listed in ``Manifest/files`` like every other file.
        public let file: String
    }

    public let formatVersion: Int
    public let modelVersion: String
    public let createdAt: String
    public let target: Target
    public let features: Features
    public let preprocessor: Preprocessor
    public let models: [Model]
    public let featureStore: FeatureStore
    public let priceResponse: PriceResponse
    public let golden: String?
    /// The experiment plan; absent in versions without one (no product is under test).
    public let experiments: Experiments?
    public let files: [String: FileEntry]

    /// The only format this reader understands.
    public static let supportedFormatVersion = 2
    /// The models' target in format 2: log expected weekly units at the product's reference price.
    public static let baselineTarget = "log_weekly_units_at_reference_price"
    /// The only price-response form this reader computes.
    public static let logQuadraticForm = "log_quadratic"
}

extension Manifest {
    /// Decodes manifest.json: the format version first (so an older or newer format is refused by
    /// name, not as a missing field), then the whole manifest, then the format-2 invariants: the
    /// baseline target, no price features, a price response this reader can compute.
    package static func decode(_ bytes: [UInt8], file: String) throws(ArtifactError) -> Manifest {
        struct Head: Decodable { let formatVersion: Int }
        try checkFormatVersion(decodeArtifactJSON(Head.self, from: bytes, file: file, context: "not a manifest").formatVersion, file: file)
        let manifest = try decodeArtifactJSON(Manifest.self, from: bytes, file: file)
        try manifest.validate(file: file)
        return manifest
    }

    func validate(file: String) throws(ArtifactError) {
        guard target.name == Self.baselineTarget else {
            throw ArtifactError(file: file, .unsupported("target \(target.name); this service reads \(Self.baselineTarget)"))
        }
        guard features.priceFeatures.isEmpty else {
            throw ArtifactError(file: file, .malformed(
                "features.price_features lists \(features.priceFeatures.map(\.name)); in format 2 no model reads the price"))
        }
        let response = priceResponse
        guard response.form == Self.logQuadraticForm else {
            throw ArtifactError(file: file, .unsupported("price_response.form \(response.form); this service computes \(Self.logQuadraticForm)"))
        }
        let decision = response.decision
        guard response.draws >= 1, response.draws <= 100_000, decision.gridPoints >= 2, decision.gridPoints <= 100_000,
              decision.minProbabilityOfGain.isFinite, (0...1).contains(decision.minProbabilityOfGain),
              decision.minExpectedGain.isFinite,
              decision.maxLossProbability.map({ $0.isFinite && (0...1).contains($0) }) ?? true else {
            throw ArtifactError(file: file, .malformed(
                "price_response needs 1…100000 draws, 2…100000 grid_points, min_probability_of_gain in 0…1, a finite min_expected_gain and max_loss_probability in 0…1 or null"))
        }
    }

    /// Throws unless `formatVersion` is ``supportedFormatVersion``; `file` names the manifest.
    package static func checkFormatVersion(_ formatVersion: Int, file: String) throws(ArtifactError) {
        guard formatVersion == supportedFormatVersion else {
            throw ArtifactError(file: file, .unsupported(
                "format_version \(formatVersion); this service reads \(supportedFormatVersion)"))
        }
    }
}

/// Decodes JSON the training pipeline wrote (manifest.json, the feature store index): snake_case keys
/// map to camelCase properties. Bad JSON is `.malformed`, naming `file`, with the decoder's reason
/// (after `context` when given).
package func decodeArtifactJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String,
                                      context: String? = nil) throws(ArtifactError) -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
        return try decoder.decode(type, from: Data(bytes))
    } catch {
        throw ArtifactError(file: file, .malformed(context.map { "\($0) (\(error))" } ?? String(describing: error)))
    }
}
