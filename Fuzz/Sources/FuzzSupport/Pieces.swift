/// Cuts `count` bytes into pieces whose lengths follow from `seed`, the way bytes might arrive from
/// a socket: incremental parsers must give the same answer whichever way their input is cut.
public func pieceLengths(count: Int, seed: UInt64) -> [Int] {
    var state = seed
    var lengths: [Int] = []
    var left = count
    while left > 0 {
        // SplitMix64: deterministic, so a saved input replays the same cuts.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        // Mostly short pieces (1-8 bytes), sometimes longer ones.
        let length = z & 3 == 0 ? Int(z >> 8 % 64) + 1 : Int(z >> 8 & 7) + 1
        lengths.append(min(length, left))
        left -= min(length, left)
    }
    return lengths
}

/// A seed from the input's bytes (FNV-1a), so the cuts change as the fuzzer mutates the input.
public func seed(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x1000_0000_01B3 }
    return hash
}
