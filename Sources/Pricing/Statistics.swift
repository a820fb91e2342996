// The summaries docs/price-response.md asks for, computed as NumPy computes them in the Python
// reference (training/pricing_training/decision.py), so that golden.json and this side agree to
// rounding: a mean of a 1-D array by NumPy's pairwise summation, a mean over the first axis of a 2-D
// array (`m.mean(axis=0)` over the draws) by plain sequential summation, percentiles by NumPy's
// default linear interpolation.

/// The sum of `n` values as NumPy's `add.reduce` computes it over a contiguous float64 array:
/// sequential below 8 values, eight interleaved partial sums up to 128, halves (rounded to a multiple
/// of 8) above.
@inline(__always)
func pairwiseSum(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    if n < 8 {
        var s = 0.0
        for i in 0..<n { s += a[i] }
        return s
    }
    if n <= 128 {
        var r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7]
        var i = 8
        while i < n - n % 8 {
            r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3]
            r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7]
            i += 8
        }
        var s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n {
            s += a[i]
            i += 1
        }
        return s
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(a, half) + pairwiseSum(a + half, n - half)
}

/// NumPy's `mean` of `n` contiguous float64 values (0 + the pairwise sum, divided by `n`).
@inline(__always)
func mean(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    (0.0 + pairwiseSum(a, n)) / Double(n)
}

/// NumPy's `mean(axis=0)` of a C-ordered 2-D array, for one column of `n` values: a running sum in
/// order (NumPy's inner loop runs along the other axis, so no pairwise blocking), divided by `n`.
@inline(__always)
func sequentialMean(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    var s = 0.0
    for i in 0..<n { s += a[i] }
    return s / Double(n)
}

/// NumPy's `quantile(sorted, p)` with the default linear method, on `n` ascending values: the
/// interpolation from the lower neighbour below t = 0.5 and from the upper one above.
@inline(__always)
func quantile(sorted: UnsafePointer<Double>, _ n: Int, _ p: Double) -> Double {
    let position = p * Double(n - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, n - 1)
    return lerp(sorted[lower], sorted[upper], position - Double(lower))
}

/// NumPy's quantile `p` of the `n` values `scale · x` (scale > 0 keeps their order), where
/// `ascending(i)` is the `i`-th smallest `x`: interpolated between the scaled neighbours, as NumPy
/// interpolates between the products.
@inline(__always)
func scaledQuantile(_ n: Int, _ p: Double, scale: Double, _ ascending: (Int) -> Double) -> Double {
    let position = p * Double(n - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, n - 1)
    return lerp(ascending(lower) * scale, ascending(upper) * scale, position - Double(lower))
}

/// NumPy's `_lerp(a, b, t)`.
@inline(__always)
func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double {
    let diff = b - a
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

/// The 10th and 90th percentile of `n` values, sorting them in place.
@inline(__always)
func percentiles10And90(sorting values: UnsafeMutableBufferPointer<Double>) -> (p10: Double, p90: Double) {
    var sorted = values
    sorted.sort()
    let base = UnsafePointer(sorted.baseAddress!)
    return (quantile(sorted: base, values.count, 0.1), quantile(sorted: base, values.count, 0.9))
}

/// NumPy's `linspace(lo, hi, n)`: `i * step + lo`, with the last value exactly `hi`.
public func linspace(_ lo: Double, _ hi: Double, _ n: Int) -> [Double] {
    guard n > 1 else { return [lo] }
    let step = (hi - lo) / Double(n - 1)
    var out = (0..<n).map { Double($0) * step + lo }
    out[n - 1] = hi
    return out
}
