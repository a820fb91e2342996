import DenseKernelCore

// The one-output kernel (a network's last layer): a dot product per row. Compiled into every variant
// module like DenseTiles.swift (DenseKernelAVX2 and DenseKernelAVX512 hold symlinks to this file).
//
// The layer does two multiply-adds per input float it reads, so after the loads the cost that
// matters is folding each row's partial sums into one number. Eight rows share the weight loads,
// and their eight vectors of partial sums are folded together into one vector of eight sums in
// three levels (`foldHalves`, `foldPairs`, `foldSingles`), 23 instructions for eight rows, stored
// with one vector store. Each level is written with whole-vector operations only (128-bit halves,
// 64-bit lanes through a `SIMD4<UInt64>` view, and a 32-bit shift of those lanes), because the
// element-wise `evenHalf`/`oddHalf` of the previous version were re-assembled by LLVM into a
// transposition of about sixty shuffles, which bounded the layer in the benchmark below NumPy.

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func madd8(_ c: inout SIMD8<Float>, _ a: SIMD8<Float>, _ w: SIMD8<Float>) {
    if kernelUsesFMA { c.addProduct(a, w) } else { c += a * w }
}

/// `output[r * outStride] = act(input[r][0..<inputs] · packed + bias[0])` for every row.
@inline(__always)
func denseDot(_ o: DenseOperands) {
    let k = o.inputs, w = o.packed, s = o.inStride
    let bias = SIMD8<Float>(repeating: o.bias[0])
    var r = 0
    while r &+ 8 <= o.rows {
        let a0 = o.input + r &* s, a1 = a0 + s, a2 = a1 + s, a3 = a2 + s
        let a4 = a3 + s, a5 = a4 + s, a6 = a5 + s, a7 = a6 + s
        var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0
        var i = 0
        while i &+ 8 <= k {
            let x = load8(w + i)
            madd8(&c0, load8(a0 + i), x); madd8(&c1, load8(a1 + i), x)
            madd8(&c2, load8(a2 + i), x); madd8(&c3, load8(a3 + i), x)
            madd8(&c4, load8(a4 + i), x); madd8(&c5, load8(a5 + i), x)
            madd8(&c6, load8(a6 + i), x); madd8(&c7, load8(a7 + i), x)
            i &+= 8
        }
        // The pairs are chosen so that lane j of the result is row r + j (see `foldSingles`).
        let d0 = foldHalves(c0, c4), d1 = foldHalves(c2, c6), d2 = foldHalves(c1, c5), d3 = foldHalves(c3, c7)
        var sums = foldSingles(foldPairs(d0, d1), foldPairs(d2, d3)) + bias
        // Inputs past the last multiple of 8: one column of the eight rows at a time.
        while i < k {
            madd8(&sums, SIMD8(a0[i], a1[i], a2[i], a3[i], a4[i], a5[i], a6[i], a7[i]), SIMD8(repeating: w[i]))
            i &+= 1
        }
        storeDots(sums, o, row: r)
        r &+= 8
    }
    while r < o.rows {
        let a = o.input + r &* s
        var c = SIMD8<Float>()
        var i = 0
        while i &+ 8 <= k {
            madd8(&c, load8(a + i), load8(w + i))
            i &+= 8
        }
        var sum = pairwiseSum(c)
        while i < k {
            sum += a[i] * w[i]
            i &+= 1
        }
        let value = sum + o.bias[0]
        o.output[r &* o.outStride] = o.relu && value < 0 ? 0 : value
        r &+= 1
    }
}

/// Rows r..<r+8's results (bias added), with ReLU when asked (NaN stays NaN, so a broken network
/// still reaches the fallback chain's non-finite check): one vector store when the rows are
/// adjacent, as in a network's last layer and the benchmark, else one store per row.
@inline(__always)
func storeDots(_ sums: SIMD8<Float>, _ o: DenseOperands, row r: Int) {
    var sums = sums
    if o.relu { sums.replace(with: SIMD8<Float>(), where: sums .< SIMD8<Float>()) }
    if o.outStride == 1 {
        UnsafeMutableRawPointer(o.output + r).storeBytes(of: sums, as: SIMD8<Float>.self)
    } else {
        for j in 0..<8 { o.output[(r &+ j) &* o.outStride] = sums[j] }
    }
}

/// [a.low4 + a.high4 | b.low4 + b.high4]: four partial sums each of rows a and b.
@inline(__always)
func foldHalves(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(lowHalf: a.lowHalf, highHalf: b.lowHalf) + SIMD8(lowHalf: a.highHalf, highHalf: b.highHalf)
}

/// From x = [A4 | B4] and y = [C4 | D4] (four partial sums per row): [A2 C2 | B2 D2], adding the
/// two 64-bit lanes (float pairs) of each 128-bit half, as unpack-low + unpack-high + add.
@inline(__always)
func foldPairs(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    let x2 = unsafeBitCast(x, to: SIMD4<UInt64>.self), y2 = unsafeBitCast(y, to: SIMD4<UInt64>.self)
    let low = SIMD4(x2[0], y2[0], x2[2], y2[2]), high = SIMD4(x2[1], y2[1], x2[3], y2[3])
    return unsafeBitCast(low, to: SIMD8<Float>.self) + unsafeBitCast(high, to: SIMD8<Float>.self)
}

/// From x and y of two partial sums per row ([A2 C2 | B2 D2] and [E2 G2 | F2 H2]): even lanes
/// x[2i] + x[2i+1], odd lanes y[2i] + y[2i+1], i.e. [A E C G B F D H]. Each float pair's partner is
/// brought next to it by a 32-bit shift within its 64-bit lane, and the two are merged by a blend.
/// With the pairs `denseDot` passes (rows (0,4), (2,6) into x; (1,5), (3,7) into y) that is rows 0...7.
@inline(__always)
func foldSingles(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    let xBits = unsafeBitCast(x, to: SIMD4<UInt64>.self), yBits = unsafeBitCast(y, to: SIMD4<UInt64>.self)
    let even = x + unsafeBitCast(xBits &>> 32, to: SIMD8<Float>.self)
    let odd = y + unsafeBitCast(yBits &<< 32, to: SIMD8<Float>.self)
    let low = SIMD4<UInt64>(repeating: 0xFFFF_FFFF)
    let merged = (unsafeBitCast(even, to: SIMD4<UInt64>.self) & low) | (unsafeBitCast(odd, to: SIMD4<UInt64>.self) & ~low)
    return unsafeBitCast(merged, to: SIMD8<Float>.self)
}

/// The sum of the lanes as a tree of halves: three dependent additions instead of the seven of
/// `sum()`'s lane-order reduction (the last rows of a block, fewer than eight).
@inline(__always)
func pairwiseSum(_ v: SIMD8<Float>) -> Float {
    let v4 = v.lowHalf + v.highHalf
    let v2 = v4.lowHalf + v4.highHalf
    return v2[0] + v2[1]
}
