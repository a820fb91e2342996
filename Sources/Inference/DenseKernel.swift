/// out[r][0..<paddedOutputs] = act(in[r][0..<inputs] · W + b) for `rows` rows: a register-blocked
/// SIMD kernel over 4 rows × 16 output columns. `inStride` and `outStride` are the row strides (in
/// Floats) of the input and output buffers. No allocation.
@inline(__always)
package func denseForward(_ layer: DenseLayer, input: UnsafePointer<Float>, inStride: Int, rows: Int,
                  output: UnsafeMutablePointer<Float>, outStride: Int) {
    layer.packed.withUnsafeBufferPointer { packedBuffer in
        layer.bias.withUnsafeBufferPointer { biasBuffer in
            let packed = packedBuffer.baseAddress!
            let bias = biasBuffer.baseAddress!
            let k = layer.inputs
            let panels = layer.paddedOutputs / DenseLayer.panelWidth
            let relu = layer.relu
            if layer.outputs == 1 {
                // One output (the network's last layer): a dot product per row, SIMD over the inputs,
                // instead of 16 padded columns of which 15 are zero.
                denseDot(packed: packed, bias: bias[0], k: k, relu: relu, input: input, inStride: inStride, rows: rows,
                         output: output, outStride: outStride)
                return
            }
            var r = 0
            while r + 4 <= rows {
                let a0 = input + r * inStride, a1 = a0 + inStride, a2 = a1 + inStride, a3 = a2 + inStride
                for p in 0..<panels {
                    let w = packed + p * k * 16
                    let b = UnsafeRawPointer(bias + p * 16).loadUnaligned(as: SIMD16<Float>.self)
                    var c0 = b, c1 = b, c2 = b, c3 = b
                    for i in 0..<k {
                        let wv = UnsafeRawPointer(w + i * 16).loadUnaligned(as: SIMD16<Float>.self)
                        c0.addProduct(SIMD16(repeating: a0[i]), wv)
                        c1.addProduct(SIMD16(repeating: a1[i]), wv)
                        c2.addProduct(SIMD16(repeating: a2[i]), wv)
                        c3.addProduct(SIMD16(repeating: a3[i]), wv)
                    }
                    if relu {
                        let zero = SIMD16<Float>()
                        c0.replace(with: zero, where: c0 .< zero)
                        c1.replace(with: zero, where: c1 .< zero)
                        c2.replace(with: zero, where: c2 .< zero)
                        c3.replace(with: zero, where: c3 .< zero)
                    }
                    let o = output + r * outStride + p * 16
                    UnsafeMutableRawPointer(o).storeBytes(of: c0, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(o + outStride).storeBytes(of: c1, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(o + 2 * outStride).storeBytes(of: c2, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(o + 3 * outStride).storeBytes(of: c3, as: SIMD16<Float>.self)
                }
                r += 4
            }
            while r < rows {
                let a = input + r * inStride
                for p in 0..<panels {
                    let w = packed + p * k * 16
                    var c = UnsafeRawPointer(bias + p * 16).loadUnaligned(as: SIMD16<Float>.self)
                    for i in 0..<k {
                        c.addProduct(SIMD16(repeating: a[i]), UnsafeRawPointer(w + i * 16).loadUnaligned(as: SIMD16<Float>.self))
                    }
                    if relu { c.replace(with: SIMD16<Float>(), where: c .< SIMD16<Float>()) }
                    UnsafeMutableRawPointer(output + r * outStride + p * 16).storeBytes(of: c, as: SIMD16<Float>.self)
                }
                r += 1
            }
        }
    }
}

/// `denseForward` over many rows, split across cores in blocks (for the kernel benchmark).
package func denseForwardParallel(_ layer: DenseLayer, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>) {
    forEachChunk(count: rows, chunk: 256, scratchCount: 0) { range, _ in
        denseForward(layer, input: input + range.lowerBound * layer.inputs, inStride: layer.inputs, rows: range.count,
                     output: output + range.lowerBound * layer.paddedOutputs, outStride: layer.paddedOutputs)
    }
}

/// out[r][0] = act(in[r] · w + b) with w the first column of the packed panel (stride 16).
@inline(__always)
private func denseDot(packed: UnsafePointer<Float>, bias: Float, k: Int, relu: Bool, input: UnsafePointer<Float>, inStride: Int,
                      rows: Int, output: UnsafeMutablePointer<Float>, outStride: Int) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { weights in
        for i in 0..<k { weights[i] = packed[i * 16] }
        let w = weights.baseAddress!
        for r in 0..<rows {
            let a = input + r * inStride
            var acc = SIMD8<Float>()
            var i = 0
            while i + 8 <= k {
                acc.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self),
                               UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self))
                i += 8
            }
            var sum = acc.sum()
            while i < k {
                sum += a[i] * w[i]
                i += 1
            }
            sum += bias
            output[r * outStride] = relu && sum < 0 ? 0 : sum
        }
    }
}
