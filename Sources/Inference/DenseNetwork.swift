public import ArtifactFormats
import Storage

/// The primary model: dense layers with batch norm folded in at load time, run as packed SIMD
/// matrix multiplies over blocks of rows split across cores, by the kernel variant chosen at load.
public struct DenseNetwork: DemandModel {
    public let name: String
    public var layout: InputLayout { .dense }
    public let inputWidth: Int
    /// Hidden layers (ReLU) then the output layer (1 unit, no activation).
    public let layers: [DenseLayer]
    /// The dense kernel build that runs the layers (`DenseKernelVariant.selected` unless told otherwise).
    public let kernel: DenseKernelVariant
    /// The widest layer's `paddedOutputs`: the row stride of a block's activation buffers.
    let maxWidth: Int
    /// Rows per block: activations of a block stay in L1/L2 between layers.
    static let blockRows = 64

    /// Builds the network from its safetensors tensors and the manifest's architecture.
    public init(name: String, tensors: SafeTensors, architecture: Manifest.Model.Architecture,
                kernel: DenseKernelVariant = .selected) throws(ArtifactError) {
        guard architecture.activation == "relu" else {
            throw ArtifactError(file: tensors.file, .unsupported("activation \(architecture.activation)"))
        }
        var layers: [DenseLayer] = []
        var width = architecture.inputs
        for (i, units) in architecture.hidden.enumerated() {
            let p = "hidden.\(i)."
            var w = try tensors.floats(p + "linear.weight", shape: [units, width])
            var b = try tensors.floats(p + "linear.bias", shape: [units])
            if architecture.batchNorm {
                (w, b) = DenseLayer.foldBatchNorm(
                    weight: w, bias: b, inputs: width,
                    gamma: try tensors.floats(p + "norm.weight", shape: [units]),
                    beta: try tensors.floats(p + "norm.bias", shape: [units]),
                    mean: try tensors.floats(p + "norm.running_mean", shape: [units]),
                    variance: try tensors.floats(p + "norm.running_var", shape: [units]),
                    eps: architecture.batchNormEps)
            }
            layers.append(DenseLayer(weight: w, bias: b, inputs: width, outputs: units, relu: true))
            width = units
        }
        let w = try tensors.floats("output.weight", shape: [1, width])
        let b = try tensors.floats("output.bias", shape: [1])
        layers.append(DenseLayer(weight: w, bias: b, inputs: width, outputs: 1, relu: false))
        self.init(name: name, inputWidth: architecture.inputs, layers: layers, kernel: kernel)
    }

    /// A network of `layers` (each reading the previous one's outputs; the last has one output).
    package init(name: String, inputWidth: Int, layers: [DenseLayer], kernel: DenseKernelVariant = .selected) {
        precondition(!layers.isEmpty && layers[0].inputs == inputWidth && layers.last!.outputs == 1)
        self.name = name
        self.inputWidth = inputWidth
        self.layers = layers
        self.kernel = kernel
        maxWidth = layers.map(\.paddedOutputs).max() ?? DenseLayer.panelWidth
    }

    /// The same network run by another kernel variant (one of `DenseKernelVariant.supported`).
    public func using(_ kernel: DenseKernelVariant) -> DenseNetwork {
        DenseNetwork(name: name, inputWidth: inputWidth, layers: layers, kernel: kernel)
    }

    /// Floats of scratch one block needs: two ping-pong activation buffers.
    var blockScratch: Int { 2 * Self.blockRows * maxWidth }

    public func predict(inputs: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>) {
        forEachChunk(count: count, chunk: Self.blockRows, scratchCount: blockScratch) { range, scratch in
            let first = layers[0]
            denseForward(first, variant: kernel, input: inputs + range.lowerBound * stride, inStride: stride, rows: range.count,
                         output: scratch, outStride: first.paddedOutputs)
            runFrom(layer: 1, activations: scratch, scratch: scratch + Self.blockRows * maxWidth, rows: range.count,
                    output: output + range.lowerBound)
        }
    }

    /// Runs layers[start...] on a block whose activations of layers[start - 1] are in `activations`,
    /// writing the final unit of each row to `output`.
    @inline(__always)
    func runFrom(layer start: Int, activations: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                 rows: Int, output: UnsafeMutablePointer<Double>) {
        var current = activations
        var next = scratch
        for l in start..<layers.count {
            let layer = layers[l]
            denseForward(layer, variant: kernel, input: current, inStride: layers[l - 1].paddedOutputs, rows: rows,
                         output: next, outStride: layer.paddedOutputs)
            swap(&current, &next)
        }
        let stride = layers[layers.count - 1].paddedOutputs
        for r in 0..<rows { output[r] = Double(current[r * stride]) }
    }
}
