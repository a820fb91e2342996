import Cache
import XCTest

/// What every `ExpiringByteCache` does with one key: a miss before anything is stored, then the stored
/// value, then the value that overwrote it.
func assertMissHitAndOverwrite(_ cache: some ExpiringByteCache, file: StaticString = #filePath, line: UInt = #line) async {
    let miss = await cache.get("a")
    XCTAssertNil(miss, file: file, line: line)
    await cache.set("a", [1, 2, 3], ttl: .seconds(60))
    let hit = await cache.get("a")
    XCTAssertEqual(hit, [1, 2, 3], file: file, line: line)
    await cache.set("a", [4], ttl: .seconds(60))
    let overwritten = await cache.get("a")
    XCTAssertEqual(overwritten, [4], file: file, line: line)
}
