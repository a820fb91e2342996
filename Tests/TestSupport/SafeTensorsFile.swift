public import ArtifactFormats

/// Builds safetensors files for tests that damage an artifact on purpose: read a real file's tensors,
/// change one, write the file again.
public struct SafeTensorsFile {
    public struct Entry {
        public var name: String
        public var dtype: SafeTensors.DType
        public var shape: [Int]
        /// Little-endian element bytes.
        public var data: [UInt8]

        public init(name: String, dtype: SafeTensors.DType, shape: [Int], data: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }

        public init(name: String, shape: [Int], doubles: [Double]) {
            self.init(name: name, dtype: .f64, shape: shape, data: doubles.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })
        }

        public init(name: String, shape: [Int], floats: [Float]) {
            self.init(name: name, dtype: .f32, shape: shape, data: floats.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The F32 and F64 tensors of a parsed file, sorted by name.
    public init(_ file: SafeTensors) throws {
        var entries: [Entry] = []
        for (name, tensor) in file.tensors.sorted(by: { $0.key < $1.key }) {
            switch tensor.dtype {
            case .f64: entries.append(Entry(name: name, shape: tensor.shape, doubles: try file.doubles(name)))
            case .f32: entries.append(Entry(name: name, shape: tensor.shape, floats: try file.floats(name)))
            default: continue
            }
        }
        self.entries = entries
    }

    /// The entry named `name`, for editing in place.
    public subscript(_ name: String) -> Entry? {
        get { entries.first { $0.name == name } }
        set {
            entries.removeAll { $0.name == name }
            if let newValue { entries.append(newValue) }
        }
    }

    /// The file's bytes: length, header JSON, data.
    public func encoded() -> [UInt8] {
        var header = "{"
        var offset = 0
        for (i, e) in entries.enumerated() {
            if i > 0 { header += "," }
            header += "\"\(e.name)\":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(offset + e.data.count)]}"
            offset += e.data.count
        }
        header += "}"
        let h = Array(header.utf8)
        var out: [UInt8] = (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xff) }
        out += h
        for e in entries { out += e.data }
        return out
    }
}
