import ArtifactFormats
import FuzzSupport

/// safetensors files (SafeTensors). Properties:
/// - a file loads or is refused with an ``ArtifactError`` (malformed, or unsupported for a dtype);
/// - a loaded file's tensors tile its data buffer exactly, each one's byte size matching its shape,
///   so reading any of them stays inside the file (AddressSanitizer checks the copy) and allocates
///   no more than the file holds;
/// - asking for a tensor with the wrong dtype or shape is an error, not a misread.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    let file: SafeTensors
    do {
        file = try SafeTensors(bytes: bytes, file: "fuzz.safetensors")
    } catch {
        require(error.file == "fuzz.safetensors", "error names \(error.file)")
        switch error.problem {
        case .malformed, .unsupported: break
        default: require(false, "refused with \(error)")
        }
        return 0
    }
    let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let dataLength = bytes.count - 8 - headerLength
    var claimed = 0
    for (name, tensor) in file.tensors {
        let elementSize = tensor.dtype == .f32 || tensor.dtype == .i32 ? 4 : 8
        require(tensor.range.lowerBound >= 0 && tensor.range.upperBound <= dataLength, "tensor \(name) at \(tensor.range) of \(dataLength) bytes")
        require(tensor.count * elementSize == tensor.range.count, "tensor \(name): \(tensor.shape) in \(tensor.range.count) bytes")
        claimed += tensor.range.count
        switch tensor.dtype {
        case .f32:
            let values = try? file.floats(name, shape: tensor.shape)
            require(values?.count == tensor.count, "tensor \(name) read \(values?.count ?? -1) floats of \(tensor.count)")
            require((try? file.doubles(name)) == nil, "F32 tensor \(name) read as F64")
        case .f64:
            let values = try? file.doubles(name, shape: tensor.shape)
            require(values?.count == tensor.count, "tensor \(name) read \(values?.count ?? -1) doubles of \(tensor.count)")
            require((try? file.floats(name)) == nil, "F64 tensor \(name) read as F32")
        case .i32, .i64:
            require((try? file.floats(name)) == nil && (try? file.doubles(name)) == nil, "integer tensor \(name) read as floats")
        }
        require((try? file.tensor(name, dtype: tensor.dtype, shape: tensor.shape + [1])) == nil, "tensor \(name) matched a wrong shape")
    }
    require(claimed == dataLength, "tensors claim \(claimed) of \(dataLength) data bytes")
    return 0
}
