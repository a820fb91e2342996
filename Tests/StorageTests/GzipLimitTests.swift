import ArtifactFormats
import XCTest

/// Gzip.decompress stops at the caller's limit instead of inflating a deflate bomb without bound.
final class GzipLimitTests: XCTestCase {
    func testStreamInflatingPastTheLimitIsRefused() {
        // 1 MiB of zeros deflates to about 1 KiB.
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 1 << 20))
        XCTAssertLessThan(bomb.count, 4096)
        XCTAssertThrowsError(try Gzip.decompress(bomb, file: "bomb.gz", maxBytes: 64 * 1024)) { error in
            XCTAssertEqual(error as? ArtifactError, ArtifactError(file: "bomb.gz", .malformed("inflates to more than 65536 bytes")))
        }
    }

    func testStreamOfExactlyTheLimitInflates() throws {
        let input = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let compressed = Gzip.compress(input)
        XCTAssertEqual(try Gzip.decompress(compressed, file: "x.gz", maxBytes: input.count), input)
        XCTAssertEqual(try Gzip.decompress(compressed, file: "x.gz", sizeHint: 1 << 20, maxBytes: input.count), input)
        XCTAssertThrowsError(try Gzip.decompress(compressed, file: "x.gz", maxBytes: input.count - 1))
    }
}
