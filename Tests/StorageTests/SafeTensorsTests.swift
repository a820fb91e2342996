import ArtifactFormats
import XCTest

/// The safetensors reader validates the header before touching data.
final class SafeTensorsTests: XCTestCase {
    /// A file with the given header JSON and `dataBytes` zero bytes of data.
    func file(_ header: String, dataBytes: Int) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xff) }
        out += h
        out += [UInt8](repeating: 0, count: dataBytes)
        return out
    }

    func problem(_ bytes: [UInt8]) -> ArtifactError.Problem? {
        do {
            _ = try SafeTensors(bytes: bytes, file: "t.safetensors")
            return nil
        } catch {
            XCTAssertEqual(error.file, "t.safetensors")
            return error.problem
        }
    }

    func testReadsTensors() throws {
        var bytes = file(#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F64","shape":[1],"data_offsets":[16,24]}}"#, dataBytes: 0)
        for v in [Float(1), 2, 3, -4] { bytes += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        bytes += withUnsafeBytes(of: (0.5).bitPattern.littleEndian, Array.init)
        let t = try SafeTensors(bytes: bytes, file: "t.safetensors")
        XCTAssertEqual(try t.floats("a", shape: [2, 2]), [1, 2, 3, -4])
        XCTAssertEqual(try t.doubles("b"), [0.5])
        XCTAssertEqual(t.metadata, ["format": "pt"])
        XCTAssertThrowsError(try t.floats("b"))
        XCTAssertThrowsError(try t.floats("a", shape: [4]))
        XCTAssertThrowsError(try t.floats("missing"))
    }

    func testRejectsDamage() {
        let valid = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertNotNil(problem([1, 2, 3]))  // shorter than the length prefix
        XCTAssertNotNil(problem(Array(file(valid, dataBytes: 8).prefix(20))))  // header cut short
        var huge = file(valid, dataBytes: 8)
        huge[7] = 0x7f
        XCTAssertNotNil(problem(huge))  // header length beyond the file
        XCTAssertNotNil(problem(file("{not json", dataBytes: 0)))
        XCTAssertNotNil(problem(file("[1,2]", dataBytes: 0)))
        XCTAssertEqual(problem(file(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4)),
                       .unsupported("tensor a has dtype BF16"))
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8)))  // shape vs bytes
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4)))  // past the end
        XCTAssertNotNil(problem(file(valid, dataBytes: 12)))  // bytes no tensor claims
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8)))  // overlap
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, dataBytes: 0)))
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F32","shape":[2]}}"#, dataBytes: 8)))
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, dataBytes: 8)))
        // Shapes whose element count fits but whose byte size overflows (found in review: used to trap).
        XCTAssertNotNil(problem(file(#"{"a":{"dtype":"F64","shape":[2147483647,2147483647],"data_offsets":[0,8]}}"#, dataBytes: 8)))
    }
}
