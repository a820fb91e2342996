import DenseKernelCore

// The register tiles of the dense kernel. This file and DenseKernelDrivers.swift are compiled into
// each variant module (DenseKernelAVX2 and DenseKernelAVX512 hold symlinks to them), so every
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

/// One output (a network's last layer): a dot product per row, SIMD over the inputs, written at
/// `output[r * outStride]` (the layer is not padded to a panel, so no padding is written or read).
/// Eight rows at a time share the weight loads and give the CPU eight independent sums to overlap;
/// their eight partial-sum vectors are reduced together by a transposing tree (`transposedSums`),
/// seven shuffle-and-adds for eight rows instead of three dependent ones per row, which bounded the
/// layer (it does only a few FMAs per row).
@inline(__always)
func denseDot(_ o: DenseOperands) {
    let k = o.inputs, w = o.packed, s = o.inStride
    var r = 0
    while r &+ 8 <= o.rows {
        let a0 = o.input + r &* s, a1 = a0 + s, a2 = a1 + s, a3 = a2 + s
        let a4 = a3 + s, a5 = a4 + s, a6 = a5 + s, a7 = a6 + s
        var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0
        var i = 0
        while i &+ 8 <= k {
            let x = load8(w + i)
            if kernelUsesFMA {
                c0.addProduct(load8(a0 + i), x); c1.addProduct(load8(a1 + i), x)
                c2.addProduct(load8(a2 + i), x); c3.addProduct(load8(a3 + i), x)
                c4.addProduct(load8(a4 + i), x); c5.addProduct(load8(a5 + i), x)
                c6.addProduct(load8(a6 + i), x); c7.addProduct(load8(a7 + i), x)
            } else {
                c0 += load8(a0 + i) * x; c1 += load8(a1 + i) * x
                c2 += load8(a2 + i) * x; c3 += load8(a3 + i) * x
                c4 += load8(a4 + i) * x; c5 += load8(a5 + i) * x
                c6 += load8(a6 + i) * x; c7 += load8(a7 + i) * x
            }
            i &+= 8
        }
        var sums = transposedSums(c0, c1, c2, c3, c4, c5, c6, c7)
        while i < k {
            sums += SIMD8(a0[i], a1[i], a2[i], a3[i], a4[i], a5[i], a6[i], a7[i]) * w[i]
            i &+= 1
        }
        for j in 0..<8 { storeDot(sums[j], o, row: r &+ j) }
        r &+= 8
    }
    while r < o.rows {
        let a = o.input + r &* s
        var c = SIMD8<Float>()
        var i = 0
        while i &+ 8 <= k {
            if kernelUsesFMA { c.addProduct(load8(a + i), load8(w + i)) } else { c += load8(a + i) * load8(w + i) }
            i &+= 8
        }
        var sum = pairwiseSum(c)
        while i < k {
            sum += a[i] * w[i]
            i &+= 1
        }
        storeDot(sum, o, row: r)
        r &+= 1
    }
}

/// Lane j of the result is the sum of the lanes of `cj`: halves added pairwise, two vectors packed
/// into one at each level, so eight rows' reductions share seven vector additions.
@inline(__always)
func transposedSums(_ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>,
                    _ c4: SIMD8<Float>, _ c5: SIMD8<Float>, _ c6: SIMD8<Float>, _ c7: SIMD8<Float>) -> SIMD8<Float> {
    // Four partial sums per row, two rows per vector.
    let d0 = SIMD8(lowHalf: c0.lowHalf + c0.highHalf, highHalf: c1.lowHalf + c1.highHalf)
    let d1 = SIMD8(lowHalf: c2.lowHalf + c2.highHalf, highHalf: c3.lowHalf + c3.highHalf)
    let d2 = SIMD8(lowHalf: c4.lowHalf + c4.highHalf, highHalf: c5.lowHalf + c5.highHalf)
    let d3 = SIMD8(lowHalf: c6.lowHalf + c6.highHalf, highHalf: c7.lowHalf + c7.highHalf)
    // Two partial sums per row, four rows per vector.
    let e0 = SIMD8(lowHalf: d0.evenHalf + d0.oddHalf, highHalf: d1.evenHalf + d1.oddHalf)
    let e1 = SIMD8(lowHalf: d2.evenHalf + d2.oddHalf, highHalf: d3.evenHalf + d3.oddHalf)
    return SIMD8(lowHalf: e0.evenHalf + e0.oddHalf, highHalf: e1.evenHalf + e1.oddHalf)
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Adds the bias to row `r`'s dot product, applies ReLU if asked (NaN stays NaN) and stores it.
@inline(__always)
func storeDot(_ dot: Float, _ o: DenseOperands, row r: Int) {
    let sum = dot + o.bias[0]
    o.output[r &* o.outStride] = o.relu && sum < 0 ? 0 : sum
}

/// The sum of the lanes as a tree of halves: three dependent additions instead of the seven of
/// `sum()`'s lane-order reduction, which would bound the one-output layer (a few FMAs per row).
@inline(__always)
func pairwiseSum(_ v: SIMD8<Float>) -> Float {
    let v4 = v.lowHalf + v.highHalf
    let v2 = v4.lowHalf + v4.highHalf
    return v2[0] + v2[1]
}
