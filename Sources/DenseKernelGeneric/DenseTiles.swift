import DenseKernelCore

// The register tiles of the dense kernel. This file, DenseDot.swift (one output) and
// DenseKernelDrivers.swift are compiled into each variant module (DenseKernelAVX2 and
// DenseKernelAVX512 hold symlinks to them), so every
// variant gets its own internal copy compiled for its own CPU: nothing here is shared across
// modules, inlined from another module, or reachable through a symbol the linker could take from
// another variant's object file.
//
// `kernelUsesFMA` (a constant each variant's entry file defines) picks fused multiply-add (one
// rounding) where the variant's target has it in hardware; without it (baseline x86-64) LLVM would
// lower `addProduct` to one `fmaf` call per lane, so the generic variant multiplies then adds.

/// `DenseOperands.panelWidth`, as a constant this module's optimizer can fold into every offset.
let panelWidth = 16

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func madd(_ c: inout SIMD16<Float>, _ a: Float, _ w: SIMD16<Float>) {
    if kernelUsesFMA { c.addProduct(SIMD16(repeating: a), w) } else { c += SIMD16(repeating: a) * w }
}

/// Stores a finished accumulator, with ReLU when asked (NaN stays NaN, so a broken network still
/// reaches the fallback chain's non-finite check).
@inline(__always)
func store16(_ c: SIMD16<Float>, relu: Bool, to p: UnsafeMutablePointer<Float>) {
    var c = c
    if relu { c.replace(with: SIMD16<Float>(), where: c .< SIMD16<Float>()) }
    UnsafeMutableRawPointer(p).storeBytes(of: c, as: SIMD16<Float>.self)
}

/// Rows r..<r+8 × panels p, p+1 (32 columns): 16 accumulators, two weight loads and eight broadcasts
/// per input, which keeps both AVX-512 FMA units busy.
@inline(__always)
func tile8x2(_ o: DenseOperands, row r: Int, panel p: Int) {
    let k = o.inputs, s = o.inStride, w = panelWidth
    let a0 = o.input + r &* s, a1 = a0 + s, a2 = a1 + s, a3 = a2 + s, a4 = a3 + s, a5 = a4 + s, a6 = a5 + s, a7 = a6 + s
    let wx = o.packed + p &* k &* w, wy = wx + k &* w
    let bx = load16(o.bias + p &* w), by = load16(o.bias + (p &+ 1) &* w)
    var c0x = bx, c0y = by, c1x = bx, c1y = by, c2x = bx, c2y = by, c3x = bx, c3y = by
    var c4x = bx, c4y = by, c5x = bx, c5y = by, c6x = bx, c6y = by, c7x = bx, c7y = by
    var i = 0
    while i < k {
        let x = load16(wx + i &* w), y = load16(wy + i &* w)
        madd(&c0x, a0[i], x); madd(&c0y, a0[i], y)
        madd(&c1x, a1[i], x); madd(&c1y, a1[i], y)
        madd(&c2x, a2[i], x); madd(&c2y, a2[i], y)
        madd(&c3x, a3[i], x); madd(&c3y, a3[i], y)
        madd(&c4x, a4[i], x); madd(&c4y, a4[i], y)
        madd(&c5x, a5[i], x); madd(&c5y, a5[i], y)
        madd(&c6x, a6[i], x); madd(&c6y, a6[i], y)
        madd(&c7x, a7[i], x); madd(&c7y, a7[i], y)
        i &+= 1
    }
    let t = o.outStride, relu = o.relu
    let o0 = o.output + r &* t + p &* w
    store16(c0x, relu: relu, to: o0); store16(c0y, relu: relu, to: o0 + w)
    store16(c1x, relu: relu, to: o0 + t); store16(c1y, relu: relu, to: o0 + t + w)
    store16(c2x, relu: relu, to: o0 + 2 &* t); store16(c2y, relu: relu, to: o0 + 2 &* t + w)
    store16(c3x, relu: relu, to: o0 + 3 &* t); store16(c3y, relu: relu, to: o0 + 3 &* t + w)
    store16(c4x, relu: relu, to: o0 + 4 &* t); store16(c4y, relu: relu, to: o0 + 4 &* t + w)
    store16(c5x, relu: relu, to: o0 + 5 &* t); store16(c5y, relu: relu, to: o0 + 5 &* t + w)
    store16(c6x, relu: relu, to: o0 + 6 &* t); store16(c6y, relu: relu, to: o0 + 6 &* t + w)
    store16(c7x, relu: relu, to: o0 + 7 &* t); store16(c7y, relu: relu, to: o0 + 7 &* t + w)
}

/// Rows r..<r+4 × panel p: eight AVX2 accumulators (four AVX-512 ones, for remainders).
@inline(__always)
func tile4x1(_ o: DenseOperands, row r: Int, panel p: Int) {
    let k = o.inputs, s = o.inStride, w = panelWidth
    let a0 = o.input + r &* s, a1 = a0 + s, a2 = a1 + s, a3 = a2 + s
    let wx = o.packed + p &* k &* w
    let b = load16(o.bias + p &* w)
    var c0 = b, c1 = b, c2 = b, c3 = b
    var i = 0
    while i < k {
        let x = load16(wx + i &* w)
        madd(&c0, a0[i], x)
        madd(&c1, a1[i], x)
        madd(&c2, a2[i], x)
        madd(&c3, a3[i], x)
        i &+= 1
    }
    let t = o.outStride, relu = o.relu
    let o0 = o.output + r &* t + p &* w
    store16(c0, relu: relu, to: o0)
    store16(c1, relu: relu, to: o0 + t)
    store16(c2, relu: relu, to: o0 + 2 &* t)
    store16(c3, relu: relu, to: o0 + 3 &* t)
}

/// Row r × panel p: the last rows of a block.
@inline(__always)
func tile1x1(_ o: DenseOperands, row r: Int, panel p: Int) {
    let k = o.inputs, w = panelWidth
    let a = o.input + r &* o.inStride
    let wx = o.packed + p &* k &* w
    var c = load16(o.bias + p &* w)
    var i = 0
    while i < k {
        madd(&c, a[i], load16(wx + i &* w))
        i &+= 1
    }
    store16(c, relu: o.relu, to: o.output + r &* o.outStride + p &* w)
}
