public import DenseKernelCore

/// Baseline x86-64 has no FMA (multiply, then add); arm64 always has it.
#if arch(x86_64) || arch(i386)
let kernelUsesFMA = false
#else
let kernelUsesFMA = true
#endif

/// The portable dense kernel: baseline x86-64 (SSE2) on Intel and AMD, NEON on arm64, with the
/// 4 × 16 register tile. Runs on every CPU the binary can start on.
public func denseForward(_ operands: DenseOperands) {
    denseForwardNarrowTiles(operands)
}
