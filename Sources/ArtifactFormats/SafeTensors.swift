import Foundation

/// A parsed safetensors file: an 8-byte little-endian header length, a JSON header mapping tensor
/// names to dtype, shape and byte offsets, then one data buffer.
///
/// Everything in the header is validated before any tensor data is touched: the header length, JSON
/// shape, dtypes, shapes, that each tensor's byte size matches its shape, that offsets stay inside the
/// buffer and that tensors neither overlap nor leave holes. Tensor values are then copied out with one
/// `memcpy` each, never parsed per value.
public struct SafeTensors: Sendable {
    /// Element types this reader accepts.
    public enum DType: String, Sendable {
        case f32 = "F32", f64 = "F64", i64 = "I64", i32 = "I32"

        var size: Int {
            switch self {
            case .f32, .i32: 4
            case .f64, .i64: 8
            }
        }
    }

    /// One tensor's header entry.
    public struct Tensor: Sendable, Equatable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range inside the data buffer.
        public let range: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let file: String
    public let tensors: [String: Tensor]
    public let metadata: [String: String]
    private let bytes: [UInt8]
    private let dataStart: Int

    /// Parses `bytes` (the whole file); `file` names it in errors.
    public init(bytes: [UInt8], file: String) throws(ArtifactError) {
        self.file = file
        func bad(_ why: String) -> ArtifactError { ArtifactError(file: file, .malformed(why)) }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes is too short for a safetensors header") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8), headerLength <= 100_000_000 else {
            throw bad("header length \(headerLength) does not fit in a \(bytes.count)-byte file")
        }
        let start = 8 + Int(headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<start]))
        } catch {
            throw bad("header is not valid JSON")
        }
        guard let header = object as? [String: Any] else { throw bad("header is not a JSON object") }
        let dataLength = bytes.count - start
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = meta
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any],
                  let offsets = entry["data_offsets"] as? [Any], offsets.count == 2
            else { throw bad("tensor \(name): needs dtype, shape and two data_offsets") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw ArtifactError(file: file, .unsupported("tensor \(name) has dtype \(dtypeName)"))
            }
            var shape: [Int] = []
            for dim in shapeValues {
                guard let d = Self.integer(dim), d >= 0, d <= Int(Int32.max) else { throw bad("tensor \(name): bad shape \(shapeValues)") }
                shape.append(d)
            }
            guard let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]),
                  begin >= 0, begin <= end, end <= dataLength
            else { throw bad("tensor \(name): data_offsets \(offsets) outside the \(dataLength)-byte data buffer") }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (m, o) = acc.0.multipliedReportingOverflow(by: d)
                return (m, acc.1 || o)
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, !bytesOverflow, bytes == end - begin else {
                throw bad("tensor \(name): shape \(shape) of \(dtypeName) does not match the \(end - begin) bytes its offsets give")
            }
            tensors[name] = Tensor(dtype: dtype, shape: shape, range: begin..<end)
        }
        // Tensors must tile the data buffer exactly: no overlap, no hole, nothing after the last one.
        var cursor = 0
        for t in tensors.values.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            guard t.range.lowerBound == cursor else { throw bad("tensor data overlaps or leaves a gap at byte \(cursor)") }
            cursor = t.range.upperBound
        }
        guard cursor == dataLength else { throw bad("data buffer has \(dataLength - cursor) bytes no tensor claims") }
        self.tensors = tensors
        self.metadata = metadata
        self.bytes = bytes
        self.dataStart = start
    }

    private static func integer(_ value: Any) -> Int? {
        if let n = value as? Int { return n }
        if let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded() { return n.intValue }
        return nil
    }

    /// The tensor's header entry, requiring `dtype` and (when given) `shape`.
    public func tensor(_ name: String, dtype: DType, shape: [Int]? = nil) throws(ArtifactError) -> Tensor {
        guard let t = tensors[name] else { throw ArtifactError(file: file, .malformed("tensor \(name) is missing")) }
        guard t.dtype == dtype else { throw ArtifactError(file: file, .malformed("tensor \(name) is \(t.dtype.rawValue), expected \(dtype.rawValue)")) }
        if let shape, t.shape != shape {
            throw ArtifactError(file: file, .malformed("tensor \(name) has shape \(t.shape), expected \(shape)"))
        }
        return t
    }

    /// The values of an F32 tensor, row-major.
    public func floats(_ name: String, shape: [Int]? = nil) throws(ArtifactError) -> [Float] {
        try copy(tensor(name, dtype: .f32, shape: shape), as: Float.self)
    }

    /// The values of an F64 tensor, row-major.
    public func doubles(_ name: String, shape: [Int]? = nil) throws(ArtifactError) -> [Double] {
        try copy(tensor(name, dtype: .f64, shape: shape), as: Double.self)
    }

    private func copy<T>(_ t: Tensor, as: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: t.count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                // The file is little-endian, as are the platforms this builds for (x86_64, arm64).
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[(dataStart + t.range.lowerBound)..<(dataStart + t.range.upperBound)]))
            }
            initialized = t.count
        }
    }
}
