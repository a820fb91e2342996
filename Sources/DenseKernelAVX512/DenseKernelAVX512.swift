public import DenseKernelCore

let kernelUsesFMA = true

/// The dense kernel compiled for Skylake-SP (x86-64-v4: AVX-512 F, CD, BW, DQ, VL on top of
/// x86-64-v3; see Package.swift), with the 8 × 32 register tile. Only called after
/// `DenseKernelVariant` has checked that the CPU and the OS support those features. On other
/// architectures it is a portable build, never selected.
public func denseForward(_ operands: DenseOperands) {
    denseForwardWideTiles(operands)
}
