public import DenseKernelCore

let kernelUsesFMA = true

/// The dense kernel compiled for Haswell (x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE; see
/// Package.swift), with the 4 × 16 register tile. Only called after `DenseKernelVariant` has checked
/// that the CPU has those features. On other architectures it is a portable build, never selected.
public func denseForward(_ operands: DenseOperands) {
    denseForwardNarrowTiles(operands)
}
