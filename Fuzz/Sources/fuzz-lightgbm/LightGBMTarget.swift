#if canImport(Glibc)
import Glibc
#endif
import ArtifactFormats
import FuzzSupport
import LightGBM

/// LightGBM text models (TreeEnsemble(lightGBMText:), LightGBMTextParser). The first byte picks the
/// mode: even, the rest is a whole model file; odd, the rest is one number placed as the leaf value
/// of a one-leaf model. Properties:
/// - a file loads or is refused with an ``ArtifactError``; loading ends (no endless walk);
/// - a loaded model predicts for any row (zeros, NaN, values from the input) by walking to a leaf,
///   one row at a time exactly as in a batch;
/// - a number is read exactly as `strtod` reads it (the parser's fast path included), and refused
///   when `strtod` would not take the whole token.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLightGBM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    if mode & 1 == 0 {
        checkModel(rest)
    } else {
        checkNumber(rest)
    }
    return 0
}

private func checkModel(_ bytes: [UInt8]) {
    let ensemble: TreeEnsemble
    do {
        ensemble = try TreeEnsemble(lightGBMText: bytes, file: "lightgbm.txt")
    } catch {
        require(error.file == "lightgbm.txt", "error names \(error.file)")
        return
    }
    require(ensemble.featureCount >= 1 && ensemble.treeCount >= 1, "\(ensemble.featureCount) features, \(ensemble.treeCount) trees")
    // Rows: zeros, NaN (missing), and the file's own bytes as floats (categories, thresholds, infinities).
    let width = ensemble.featureCount
    guard width <= 4096 else { return }
    var rows = [Float](repeating: 0, count: width) + [Float](repeating: .nan, count: width)
    var fromInput = [Float](repeating: -1, count: width)
    bytes.withUnsafeBytes { raw in
        for column in 0..<min(width, raw.count / 4) {
            fromInput[column] = raw.loadUnaligned(fromByteOffset: column * 4, as: Float.self)
        }
    }
    rows += fromInput
    let count = rows.count / width
    var batch = [Double](repeating: 0, count: count)
    rows.withUnsafeBufferPointer { rowBuffer in
        batch.withUnsafeMutableBufferPointer { out in
            ensemble.predict(rows: rowBuffer.baseAddress!, count: count, stride: width, into: out.baseAddress!)
        }
        for row in 0..<count {
            let single = ensemble.predict(UnsafeBufferPointer(rebasing: rowBuffer[(row * width)..<((row + 1) * width)]))
            require(single.bitPattern == batch[row].bitPattern || (single.isNaN && batch[row].isNaN),
                    "row \(row): one at a time \(single), in a batch \(batch[row])")
        }
    }
}

private func checkNumber(_ token: [UInt8]) {
    guard !token.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x09 || $0 == 0 }), !token.isEmpty else { return }
    let model = Array("tree\nversion=v3\nnum_class=1\nmax_feature_idx=0\n\nTree=0\nnum_leaves=1\nnum_cat=0\nleaf_value=".utf8)
        + token + Array("\n\nend of trees\n".utf8)
    let parsed = try? TreeEnsemble(lightGBMText: model, file: "lightgbm.txt")
    let expected: Double? = token.count < 128 ? (token + [0]).withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { chars in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(chars.baseAddress!, &end)
            let first = token[0]
            // The parser refuses what strtod would read after skipping leading junk, and tokens strtod stops inside.
            guard first > 0x20, first < 0x7F, let end, chars.baseAddress!.distance(to: end) == token.count else { return nil }
            return value
        }
    } : nil
    guard let expected else {
        require(parsed == nil || token.count >= 128, "leaf value \(String(decoding: token, as: UTF8.self).debugDescription) accepted; strtod refuses it")
        return
    }
    guard let parsed else {
        require(false, "leaf value \(String(decoding: token, as: UTF8.self).debugDescription) refused; strtod reads \(expected)")
        return
    }
    let zero = [Float](repeating: 0, count: 1)
    let value = zero.withUnsafeBufferPointer { parsed.predict($0) }
    // The prediction is a sum that starts at +0, so a -0 leaf predicts +0.
    require(value.bitPattern == (0.0 + expected).bitPattern || (value.isNaN && expected.isNaN),
            "leaf value \(String(decoding: token, as: UTF8.self).debugDescription) read as \(value), strtod says \(expected)")
}
