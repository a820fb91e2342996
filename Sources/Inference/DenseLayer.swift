import DenseKernelCore

/// One fully connected layer with batch norm folded in, weights packed for the dense kernel.
///
/// Packing (`DenseOperands` describes it for the kernels): output columns are padded to a multiple of
/// `DenseLayer.panelWidth` and stored as panels of `panelWidth` columns, each panel holding all
/// `inputs` rows contiguously (`packed[(panel * inputs + k) * panelWidth + j]` = W[k][panel * panelWidth + j]),
/// so the kernel streams one panel per output tile with unit-stride SIMD loads. A layer with one
/// output (the network's last) keeps its single weight column unpadded, and its output stride is 1.
public struct DenseLayer: Sendable {
    public static let panelWidth = DenseOperands.panelWidth
    public let inputs: Int
    public let outputs: Int
    /// The activation stride of this layer's output: `outputs` rounded up to a multiple of
    /// `panelWidth`, or 1 for a single output.
    public let paddedOutputs: Int
    public let relu: Bool
    let packed: [Float]
    let bias: [Float]

    /// `weight` is row-major [outputs][inputs] (PyTorch's layout); `bias` has `outputs` values.
    public init(weight: [Float], bias: [Float], inputs: Int, outputs: Int, relu: Bool) {
        precondition(weight.count == inputs * outputs && bias.count == outputs && outputs > 0)
        self.inputs = inputs
        self.outputs = outputs
        self.relu = relu
        if outputs == 1 {
            self.paddedOutputs = 1
            self.packed = weight
            self.bias = bias
            return
        }
        let panels = (outputs + Self.panelWidth - 1) / Self.panelWidth
        let w = Self.panelWidth
        var packed = [Float](repeating: 0, count: panels * inputs * w)
        for o in 0..<outputs {
            let panel = o / w, j = o % w
            for k in 0..<inputs { packed[(panel * inputs + k) * w + j] = weight[o * inputs + k] }
        }
        var paddedBias = [Float](repeating: 0, count: panels * w)
        paddedBias.replaceSubrange(0..<outputs, with: bias)
        self.paddedOutputs = panels * w
        self.packed = packed
        self.bias = paddedBias
    }

    /// Folds eval-mode batch norm `(x - mean) / sqrt(var + eps) * gamma + beta` into a preceding
    /// linear layer's row-major weights and bias (in Double, rounded once).
    public static func foldBatchNorm(weight: [Float], bias: [Float], inputs: Int, gamma: [Float], beta: [Float],
                                     mean: [Float], variance: [Float], eps: Double) -> (weight: [Float], bias: [Float]) {
        var w = weight
        var b = bias
        for o in 0..<bias.count {
            let s = Double(gamma[o]) / (Double(variance[o]) + eps).squareRoot()
            for k in 0..<inputs { w[o * inputs + k] = Float(Double(weight[o * inputs + k]) * s) }
            b[o] = Float((Double(bias[o]) - Double(mean[o])) * s + Double(beta[o]))
        }
        return (w, b)
    }
}
