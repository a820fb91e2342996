import DenseKernelCore

// The kernel's row and panel loops, one per register tiling; each variant module's entry point
// calls one of them (see DenseTiles.swift for how the variants share this source).

/// 8 rows × 32 columns per tile (16 accumulators: half of AVX-512's 32 vector registers), then
/// 4 × 16 and 1 × 16 for the remaining rows and an odd last panel. For AVX-512.
@inline(__always)
func denseForwardWideTiles(_ o: DenseOperands) {
    if o.outputs == 1 { return denseDot(o) }
    let panels = o.paddedOutputs / panelWidth
    var r = 0
    while r &+ 8 <= o.rows {
        var p = 0
        while p &+ 2 <= panels {
            tile8x2(o, row: r, panel: p)
            p &+= 2
        }
        if p < panels {
            tile4x1(o, row: r, panel: p)
            tile4x1(o, row: r &+ 4, panel: p)
        }
        r &+= 8
    }
    narrowRows(o, from: r)
}

/// 4 rows × 16 columns per tile (8 AVX2 accumulators of 8 lanes: half of AVX2's 16 registers),
/// then 1 × 16 for the remaining rows. For AVX2 and portable SIMD.
@inline(__always)
func denseForwardNarrowTiles(_ o: DenseOperands) {
    if o.outputs == 1 { return denseDot(o) }
    narrowRows(o, from: 0)
}

@inline(__always)
func narrowRows(_ o: DenseOperands, from start: Int) {
    let panels = o.paddedOutputs / panelWidth
    var r = start
    while r &+ 4 <= o.rows {
        for p in 0..<panels { tile4x1(o, row: r, panel: p) }
        r &+= 4
    }
    while r < o.rows {
        for p in 0..<panels { tile1x1(o, row: r, panel: p) }
        r &+= 1
    }
}
