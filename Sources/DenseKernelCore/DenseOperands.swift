/// One dense layer's forward pass over a block of rows, as raw buffers: what every kernel variant
/// (`DenseKernelGeneric`, `DenseKernelAVX2`, `DenseKernelAVX512`) takes, so that the variants depend
/// on nothing but this module and can each be compiled for their own CPU.
///
/// `output[r][0..<paddedOutputs] = act(input[r][0..<inputs] · W + bias)` for `rows` rows.
/// With more than one output, `packed` holds W as panels of `panelWidth` columns, each panel all
/// `inputs` rows contiguously (`packed[(panel * inputs + k) * panelWidth + j]` = W[k][panel * panelWidth + j]),
/// `paddedOutputs` is a multiple of `panelWidth` and `bias` has `paddedOutputs` values. With one
/// output, `packed` is W's single column (`inputs` values) and `paddedOutputs` is 1.
public struct DenseOperands {
    /// Output columns per packed panel: one AVX-512 register, two AVX2 registers.
    public static let panelWidth = 16

    public let packed: UnsafePointer<Float>
    public let bias: UnsafePointer<Float>
    public let inputs: Int
    public let outputs: Int
    public let paddedOutputs: Int
    public let relu: Bool
    public let input: UnsafePointer<Float>
    /// Row stride of `input`, in Floats.
    public let inStride: Int
    public let rows: Int
    public let output: UnsafeMutablePointer<Float>
    /// Row stride of `output`, in Floats (at least `paddedOutputs`).
    public let outStride: Int

    @inlinable
    public init(packed: UnsafePointer<Float>, bias: UnsafePointer<Float>, inputs: Int, outputs: Int, paddedOutputs: Int,
                relu: Bool, input: UnsafePointer<Float>, inStride: Int, rows: Int,
                output: UnsafeMutablePointer<Float>, outStride: Int) {
        self.packed = packed
        self.bias = bias
        self.inputs = inputs
        self.outputs = outputs
        self.paddedOutputs = paddedOutputs
        self.relu = relu
        self.input = input
        self.inStride = inStride
        self.rows = rows
        self.output = output
        self.outStride = outStride
    }
}
