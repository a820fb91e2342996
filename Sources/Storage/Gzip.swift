import CZlib

/// Gzip (or zlib) decompression through the system zlib.
public enum Gzip {
    /// Inflates a whole gzip member. Throws `ArtifactError.malformed` naming `file` on bad data.
    public static func decompress(_ input: [UInt8], file: String, sizeHint: Int = 0) throws(ArtifactError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArtifactError(file: file, .malformed("zlib inflateInit failed (\(status))")) }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(sizeHint, input.count * 4, 1024))
        var produced = 0
        var result: Int32 = Z_OK
        input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
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
        guard result == Z_STREAM_END else {
            let why = result == Z_BUF_ERROR ? "gzip stream ends early (truncated)" : "gzip data error (\(result))"
            throw ArtifactError(file: file, .malformed(why))
        }
        output.removeSubrange(produced...)
        return output
    }
}
