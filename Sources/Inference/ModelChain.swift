import ArtifactFormats
public import Storage

/// The manifest's models in fallback order. A model that fails to load, or that yields a non-finite
/// value for a request, is skipped and the next one answers; the answer says which model answered
/// and why the ones before it did not.
public struct ModelChain: Sendable {
    /// One position of the chain.
    public enum Entry: Sendable {
        case loaded(any DemandModel)
        case failed(name: String, reason: String)

        public var name: String {
            switch self {
            case .loaded(let model): model.name
            case .failed(let name, _): name
            }
        }
    }

    /// The result of a request.
    public struct Answer: Sendable {
        /// Name of the model whose values these are.
        public let model: String
        public let values: [Double]
        /// Why each earlier model did not answer, in order ("mlp: produced 3 non-finite values").
        public let skipped: [String]
    }

    /// Every model failed; the reasons, in order.
    public struct NoModelAnswered: Error, Sendable, CustomStringConvertible {
        public let reasons: [String]
        public var description: String { "no model could answer: " + reasons.joined(separator: "; ") }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Loads every model of `folder`'s manifest. A model that cannot be built becomes a `.failed` entry.
    ///
    /// With `deferBackups`, the models after the first one that builds are ``DeferredModel``s, built
    /// later (see ``buildingDeferredModels()``) or when a request first needs them.
    public static func load(folder: ArtifactFolder, preprocessor: Preprocessor, deferBackups: Bool = false) -> ModelChain {
        var entries: [Entry] = []
        for spec in folder.manifest.models {
            // A file that failed verification is known now; only building waits.
            if deferBackups, folder.modelFailures[spec.file] == nil,
               entries.contains(where: { if case .loaded = $0 { true } else { false } }) {
                let layout: InputLayout = spec.inputLayout == "tree" ? .tree : .dense
                entries.append(.loaded(DeferredModel(
                    name: spec.name, layout: layout, inputWidth: layout == .tree ? preprocessor.treeWidth : preprocessor.denseWidth,
                    build: { () throws(ArtifactError) in try loadModel(spec, folder: folder, preprocessor: preprocessor) })))
                continue
            }
            do throws(ArtifactError) {
                entries.append(.loaded(try loadModel(spec, folder: folder, preprocessor: preprocessor)))
            } catch {
                entries.append(.failed(name: spec.name, reason: error.description))
            }
        }
        return ModelChain(entries: entries)
    }

    /// The names of the models that are still ``DeferredModel``s, in order.
    public var deferredModelNames: [String] { models.filter { $0 is DeferredModel }.map(\.name) }

    /// Whether some models are still ``DeferredModel``s.
    public var hasDeferredModels: Bool { !deferredModelNames.isEmpty }

    /// This chain with every ``DeferredModel`` built: the model itself, or a `.failed` entry saying why
    /// it does not build.
    public func buildingDeferredModels() -> ModelChain {
        ModelChain(entries: entries.map { entry in
            guard case .loaded(let model) = entry, let deferred = model as? DeferredModel else { return entry }
            switch deferred.model() {
            case .success(let built): return .loaded(built)
            case .failure(let error): return .failed(name: deferred.name, reason: error.description)
            }
        })
    }

    static func loadModel(_ spec: Manifest.Model, folder: ArtifactFolder, preprocessor: Preprocessor) throws(ArtifactError) -> any DemandModel {
        let bytes = try folder.bytes(spec.file)
        let width = spec.inputLayout == "tree" ? preprocessor.treeWidth : preprocessor.denseWidth
        guard spec.inputLayout == "dense" || spec.inputLayout == "tree" else {
            throw ArtifactError(file: spec.file, .unsupported("input layout \(spec.inputLayout)"))
        }
        switch spec.kind {
        case "feedforward":
            guard let architecture = spec.architecture else {
                throw ArtifactError(file: "manifest.json", .malformed("model \(spec.name) has no architecture"))
            }
            guard architecture.inputs == width else {
                throw ArtifactError(file: spec.file, .malformed("network reads \(architecture.inputs) inputs, the dense layout has \(width)"))
            }
            return try DenseNetwork(name: spec.name, tensors: SafeTensors(bytes: bytes, file: spec.file), architecture: architecture)
        case "lightgbm":
            return try LightGBMModel(name: spec.name, text: bytes, file: spec.file, inputWidth: width)
        case "svr":
            guard let kernel = spec.kernel else { throw ArtifactError(file: "manifest.json", .malformed("model \(spec.name) has no kernel")) }
            return try SupportVectorRegression(name: spec.name, tensors: SafeTensors(bytes: bytes, file: spec.file),
                                               kernel: kernel, inputWidth: width)
        case "linear":
            return try LinearModel(name: spec.name, tensors: SafeTensors(bytes: bytes, file: spec.file), inputWidth: width)
        default:
            throw ArtifactError(file: spec.file, .unsupported("model kind \(spec.kind)"))
        }
    }

    /// The loaded models, in order.
    public var models: [any DemandModel] {
        entries.compactMap { if case .loaded(let m) = $0 { m } else { nil } }
    }

    /// Asks each loaded model in order; the first whose values are all finite answers.
    public func answer(_ run: (any DemandModel) -> [Double]) throws(NoModelAnswered) -> Answer {
        var skipped: [String] = []
        for entry in entries {
            switch entry {
            case .failed(let name, let reason):
                skipped.append("\(name): failed to load (\(reason))")
            case .loaded(let model):
                if let deferred = model as? DeferredModel, case .failure(let error) = deferred.model() {
                    skipped.append("\(model.name): failed to load (\(error.description))")
                    continue
                }
                let values = run(model)
                let bad = values.count { !$0.isFinite }
                if bad == 0 && !values.isEmpty { return Answer(model: model.name, values: values, skipped: skipped) }
                skipped.append("\(model.name): produced \(bad) non-finite value\(bad == 1 ? "" : "s") of \(values.count)")
            }
        }
        throw NoModelAnswered(reasons: skipped)
    }
}
