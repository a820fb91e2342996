import DenseKernelAVX2
import DenseKernelAVX512
import DenseKernelCore
import DenseKernelGeneric
import Storage

/// out[r][0..<layer.paddedOutputs] = act(in[r][0..<inputs] · W + b) for `rows` rows, with the
/// kernel `variant` (the caller has checked the CPU can run it: `DenseKernelVariant.selected`, or one
/// of `.supported`). `inStride` and `outStride` are the row strides (in Floats) of the input and
/// output buffers. No allocation.
@inline(__always)
package func denseForward(_ layer: DenseLayer, variant: DenseKernelVariant, input: UnsafePointer<Float>, inStride: Int,
                          rows: Int, output: UnsafeMutablePointer<Float>, outStride: Int) {
    layer.packed.withUnsafeBufferPointer { packed in
        layer.bias.withUnsafeBufferPointer { bias in
            run(variant, DenseOperands(
                packed: packed.baseAddress!, bias: bias.baseAddress!, inputs: layer.inputs, outputs: layer.outputs,
                paddedOutputs: layer.paddedOutputs, relu: layer.relu, input: input, inStride: inStride, rows: rows,
                output: output, outStride: outStride))
        }
    }
}

/// `denseForward` over many rows, split across cores (for the kernel benchmark): long runs of rows,
/// four per core, claimed in turn, so each core streams through contiguous memory (interleaved
/// 256-row blocks cost the one-output layer, which only streams its input, 1.5x). The layer's buffers are borrowed once
/// for the whole call, not per block, so the workers do not share reference-count updates.
package func denseForwardParallel(_ layer: DenseLayer, variant: DenseKernelVariant, input: UnsafePointer<Float>, rows: Int,
                                  output: UnsafeMutablePointer<Float>) {
    layer.packed.withUnsafeBufferPointer { packed in
        layer.bias.withUnsafeBufferPointer { bias in
            let (packed, bias) = (packed.baseAddress!, bias.baseAddress!)
            let chunk = max(256, (rows + 4 * activeCores - 1) / (4 * activeCores))
            forEachChunk(count: rows, chunk: chunk, scratchCount: 0) { range, _ in
                run(variant, DenseOperands(
                    packed: packed, bias: bias, inputs: layer.inputs, outputs: layer.outputs, paddedOutputs: layer.paddedOutputs,
                    relu: layer.relu, input: input + range.lowerBound * layer.inputs, inStride: layer.inputs, rows: range.count,
                    output: output + range.lowerBound * layer.paddedOutputs, outStride: layer.paddedOutputs))
            }
        }
    }
}

@inline(__always)
private func run(_ variant: DenseKernelVariant, _ operands: DenseOperands) {
    switch variant {
    case .generic: DenseKernelGeneric.denseForward(operands)
    case .avx2: DenseKernelAVX2.denseForward(operands)
    case .avx512: DenseKernelAVX512.denseForward(operands)
    }
}
