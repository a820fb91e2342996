/// Which preprocessed input vector a model reads (see models/README.md).
public enum InputLayout: String, Sendable {
    case dense
    case tree
}

/// A model that predicts the manifest's target from preprocessed input rows: in format 2 the baseline
/// f(x), log expected weekly units at the product's reference price (docs/price-response.md).
public protocol DemandModel: Sendable {
    /// The manifest's model name (e.g. "mlp", "lightgbm").
    var name: String { get }
    var layout: InputLayout { get }
    /// Floats per input row the model reads.
    var inputWidth: Int { get }
    /// Predictions for `count` rows starting `stride` Floats apart.
    func predict(inputs: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>)
}
