import ArtifactFormats
import FuzzSupport

/// Gzip and zlib streams (Gzip.decompress). Properties:
/// - any input inflates or is refused with ``ArtifactError`` `.malformed`, never a trap;
/// - output never exceeds the limit the caller gives;
/// - compressing the input and inflating that gives the input back, and every truncation of the
///   compressed stream is refused (a short shard is an error, not a shorter shard).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    do {
        let output = try Gzip.decompress(bytes, file: "fuzz.gz", maxBytes: limit)
        require(output.count <= limit, "inflated to \(output.count) bytes, the limit is \(limit)")
    } catch {
        require(error.file == "fuzz.gz", "error names \(error.file)")
        guard case .malformed = error.problem else { require(false, "refused with \(error)"); return 0 }
    }

    let compressed = Gzip.compress(bytes)
    let roundTrip = try? Gzip.decompress(compressed, file: "fuzz.gz")
    require(roundTrip == bytes, "compress then decompress of \(bytes.count) bytes gave \(roundTrip?.count ?? -1)")
    let cut = Int(seed(of: fuzzInput(data, size)) % UInt64(compressed.count))
    require((try? Gzip.decompress(Array(compressed[..<cut]), file: "fuzz.gz")) == nil, "a stream cut at \(cut) of \(compressed.count) bytes inflated")
    return 0
}

/// Small, so the fuzzer meets it: 1 KiB of deflate can inflate to about 1 MiB.
private let limit = 64 * 1024
