import CZlib

/// Gzip (or zlib) decompression through the system zlib.
public enum Gzip {
    /// The most a stream may inflate to unless the caller says otherwise: far above any shard or index
    /// (a few MB), far below what a deflate bomb (up to 1032:1) would make of a large hostile file.
    public static let defaultMaxBytes = 1 << 30

    /// Inflates a whole gzip member. Throws `ArtifactError.malformed` naming `file` on bad data, or when
    /// the output would exceed `maxBytes`.
    public static func decompress(_ input: [UInt8], file: String, sizeHint: Int = 0,
                                  maxBytes: Int = defaultMaxBytes) throws(ArtifactError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArtifactError(file: file, .malformed("zlib inflateInit failed (\(status))")) }
        defer { inflateEnd(&stream) }
        // One byte beyond the limit tells a stream that ends exactly at it from one that goes on.
        let capacity = max(1, maxBytes < Int.max ? maxBytes + 1 : maxBytes)
        var output = [UInt8](repeating: 0, count: min(max(sizeHint, input.count * 4, 1024), capacity))
        var produced = 0
        var result: Int32 = Z_OK
        var overLimit = false
        input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                if produced == output.count {
                    guard output.count < capacity else { overLimit = true; break }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, capacity - output.count)))
                }
                result = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = UInt32(outBuf.count - produced)
                    let r = inflate(&stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.avail_out)
                    return r
                }
                if result == Z_STREAM_END || (result != Z_OK && result != Z_BUF_ERROR) { break }
                if result == Z_BUF_ERROR && stream.avail_in == 0 { break }
            }
        }
        guard !overLimit, produced <= maxBytes else {
            throw ArtifactError(file: file, .malformed("inflates to more than \(maxBytes) bytes"))
        }
        guard result == Z_STREAM_END else {
            let why = result == Z_BUF_ERROR ? "gzip stream ends early (truncated)" : "gzip data error (\(result))"
            throw ArtifactError(file: file, .malformed(why))
        }
        output.removeSubrange(produced...)
        return output
    }
}

extension Gzip {
    /// Gzip-compresses `input` (for HTTP responses).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16: write a gzip header and trailer.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                             Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var produced = 0
        input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                _ = deflate(&stream, Z_FINISH)
                produced = outBuf.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}

extension Gzip {
    /// CRC-32 (zlib's) of `bytes`: a cheap integrity check for stored values.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
