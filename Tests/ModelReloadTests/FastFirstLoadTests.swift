import Foundation
import Logging
import Pricing
import PricingAPI
import Storage
import TestSupport
import XCTest

/// The first load's fast path (``ModelReloader/FirstLoad/fast``): the first model serves once it is
/// built and self-checked, the backups are built and self-checked right after in the background, and a
/// broken backup is found then (logged, shown as not loaded), not by the first request that needs it.
final class FastFirstLoadTests: XCTestCase {
    var root: VersionedRoot!

    override func setUp() async throws {
        root = try VersionedRoot()
    }

    override func tearDown() async throws {
        root?.remove()
    }

    /// Loads LATEST the fast way; returns the slot right after the first load and the reloader.
    func firstLoad() async throws -> (EngineSlot, ModelReloader, PricingEngine) {
        let slot = EngineSlot()
        let reloader = ModelReloader(source: LocalArtifactSource(path: root.path), slot: slot, trust: TestSigning.trust, logger: Logger(label: "fast-load-test"),
                                     firstLoad: .fast)
        let outcome = await reloader.reload()
        guard case .swapped = outcome else { throw XCTSkip("the first load failed: \(outcome)") }
        return (slot, reloader, try XCTUnwrap(slot.engine))
    }

    func testBackupsAreBuiltAndSelfCheckedRightAfterTheFirstAnswerCanBeGiven() async throws {
        let (slot, reloader, first) = try await firstLoad()
        let names = first.manifest.models.map(\.name)
        XCTAssertEqual(first.chain.entries.map(\.name), names)
        XCTAssertEqual(first.chain.models.first?.name, names.first)
        await reloader.backupsBuilt()
        let complete = try XCTUnwrap(slot.engine)
        XCTAssertFalse(complete.chain.hasDeferredModels)
        XCTAssertEqual(complete.chain.models.map(\.name), names, "\(complete.chain.failureReasons)")
        XCTAssertTrue(complete.chain.failureReasons.isEmpty)
        XCTAssertEqual(complete.version, first.version)
        // The same answers as an engine built the eager way, for every model.
        let eager = try PricingEngine(path: root.path)
        for name in names {
            let request = SweepRequest(stockcode: "85123A", minPrice: nil, maxPrice: nil, bins: 20)
            let fast = try complete.sweep(request, model: name), reference = try eager.sweep(request, model: name)
            XCTAssertEqual(fast.points.map(\.quantity), reference.points.map(\.quantity), name)
            XCTAssertEqual(fast.model, name)
        }
    }

    func testADeferredBackupAnswersWhenFirstNeededBeforeTheBackgroundBuild() throws {
        let engine = try PricingEngine(folder: ArtifactFolder.load(path: root.path), deferBackups: true)
        XCTAssertEqual(engine.chain.deferredModelNames, Array(engine.manifest.models.map(\.name).dropFirst()))
        let eager = try PricingEngine(path: root.path)
        let request = SweepRequest(stockcode: "85123A", minPrice: nil, maxPrice: nil, bins: 20)
        let built = try engine.sweep(request, model: "lightgbm")
        XCTAssertEqual(built.model, "lightgbm")
        XCTAssertEqual(built.points.map(\.quantity), try eager.sweep(request, model: "lightgbm").points.map(\.quantity))
    }

    func testABrokenBackupIsFoundAtStartUpNotAtFirstNeed() async throws {
        // Valid checksum, nonsense content: only parsing it shows the damage.
        try root.variant("v2-broken-backup") { v in try v.replaceSigned("lightgbm.txt", Array("not a lightgbm model\n".utf8)) }
        try root.setLatest("v2-broken-backup")
        let (slot, reloader, first) = try await firstLoad()
        XCTAssertEqual(first.version, "v2-broken-backup")
        XCTAssertEqual(try first.sweep(SweepRequest(stockcode: "85123A", minPrice: nil, maxPrice: nil, bins: 5)).model, "mlp")
        await reloader.backupsBuilt()
        let complete = try XCTUnwrap(slot.engine)
        let reasons = complete.chain.failureReasons
        XCTAssertEqual(reasons.count, 1, "\(reasons)")
        XCTAssertTrue(reasons.first?.hasPrefix("lightgbm: lightgbm.txt: malformed") == true, "\(reasons)")
        XCTAssertEqual(complete.chain.models.map(\.name), ["mlp", "svr", "elasticnet"])
    }

    func testABackupFailingItsSelfCheckIsDisabled() async throws {
        try root.variant("v2-svr-parity") { v in
            try v.scaleGoldenQuantities(of: "svr", by: 1.5)
        }
        try root.setLatest("v2-svr-parity")
        let (slot, reloader, _) = try await firstLoad()
        await reloader.backupsBuilt()
        let reasons = try XCTUnwrap(slot.engine).chain.failureReasons
        XCTAssertEqual(reasons.count, 1, "\(reasons)")
        XCTAssertTrue(reasons.first?.hasPrefix("svr: fails its parity self-check") == true, "\(reasons)")
    }

    func testTheFirstModelFailingItsSelfCheckStillStopsTheFirstLoad() async throws {
        try root.variant("v2-mlp-parity") { v in
            try v.scaleGoldenQuantities(of: "mlp", by: 1.5)
        }
        try root.setLatest("v2-mlp-parity")
        let slot = EngineSlot()
        let reloader = ModelReloader(source: LocalArtifactSource(path: root.path), slot: slot, trust: TestSigning.trust, logger: Logger(label: "t"), firstLoad: .fast)
        guard case .rejected(_, let reason) = await reloader.reload() else { return XCTFail("a version failing its self-check loaded") }
        XCTAssertTrue(reason.contains("parity self-check"), reason)
        XCTAssertNil(slot.engine)
    }
}
