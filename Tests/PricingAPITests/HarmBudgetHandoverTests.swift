import ArtifactFormats
@testable import Pricing
import TestSupport
import XCTest

/// A catalogue run under a harm budget hands its solved λ to the one-product answers (on the committed
/// version): a product asked for during the run, or after a run that stopped once its first rows were read,
/// is decided at the run's λ for one product's work, without a second solve; a run whose λ is not the
/// version-wide one (a catalogue with its own terms, or a subset) hands nothing over.
final class HarmBudgetHandoverTests: XCTestCase {
    /// The loop's setting: a budget that binds on the committed catalogue.
    static let rules = PricingRules(harmBudget: 0.002, harmBudgetSpread: 2)
    nonisolated(unsafe) static var shared: (engine: PricingEngine, rows: [String: PriceRecommendation], multiplier: Double)?

    /// The engine, the rows of the run over every product (solved here, directly on the engine), and its λ.
    func catalogue() throws -> (engine: PricingEngine, rows: [String: PriceRecommendation], multiplier: Double) {
        if let shared = Self.shared { return shared }
        let engine = try PricingEngine(path: CommittedModels.root)
        let run = try engine.reprice(nil, rules: Self.rules)
        let multiplier = try XCTUnwrap(engine.harmBudgetMultiplier(rules: Self.rules))
        XCTAssertGreaterThan(multiplier, 0, "the budget binds: λ > 0")
        let shared = (engine, Dictionary(uniqueKeysWithValues: run.rows.map { ($0.stockcode, $0) }), multiplier)
        Self.shared = shared
        return shared
    }

    /// Products moved by the budget and kept by it: their rows depend on λ.
    func sample(_ rows: [String: PriceRecommendation], from codes: [String]) -> [PriceRecommendation] {
        let budgeted = codes.compactMap { rows[$0] }.filter { $0.bindingRule == .harmBudget }
        let moved = budgeted.filter { $0.price != $0.currentPrice }.prefix(3)
        let kept = budgeted.filter { $0.price == $0.currentPrice }.prefix(2)
        return Array(moved) + Array(kept)
    }

    struct NoRow: Error, CustomStringConvertible {
        let description: String
    }

    /// One product's answer with the work it was charged (products).
    static func answer(_ answers: PriceAnswers, _ stockcode: String, on engine: PricingEngine) async throws -> (row: PriceRecommendation, fromRun: Bool, charged: [Int]) {
        var charged: [Int] = []
        let answer = await answers.recommendation(for: stockcode, rules: Self.rules, on: engine) { charged.append($0); return true }
        guard case .row(let row, let fromRun) = answer else { throw NoRow(description: "\(stockcode): \(answer)") }
        return (row, fromRun, charged)
    }

    func assertSameDecision(_ row: PriceRecommendation, _ expected: PriceRecommendation, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(row.price, expected.price, expected.stockcode, file: file, line: line)
        XCTAssertEqual(row.bindingRule, expected.bindingRule, expected.stockcode, file: file, line: line)
    }

    /// A client reads the first page of the run over every product and leaves: the run stops after its first
    /// chunk, unfinished, so it cannot answer; its λ, handed over before that chunk, does.
    func testARunStoppedAfterItsFirstRowsLeavesItsMultiplier() async throws {
        let (engine, rows, multiplier) = try catalogue()
        let answers = PriceAnswers()
        let multipliers = answers.harmBudgetMultipliers
        guard case .admitted(let ticket, hit: false) = answers.run(nil, rules: Self.rules, on: engine, spend: { _ in nil }) else {
            return XCTFail("the run was not started")
        }
        await ticket.run.wait(beyond: 0)
        let first = ticket.run.snapshot()
        ticket.release()
        _ = await ticket.run.finished()
        XCTAssertTrue(ticket.run.isCancelled, "the run stopped once its last reader left")
        XCTAssertFalse(ticket.run.snapshot().finished, "so it cannot answer a product")
        XCTAssertGreaterThan(first.rows.count, 0)

        // Its first rows (and products it never reached) answered at its λ, each charged one product.
        let firstCodes = first.rows.map(\.stockcode)
        let reached = sample(rows, from: firstCodes)
        let beyond = sample(rows, from: engine.store.products.map(\.stockcode).filter { !firstCodes.contains($0) })
        XCTAssertFalse(reached.isEmpty || beyond.isEmpty, "the budget moves and keeps products in and beyond the first chunk")
        for expected in reached + beyond {
            let (row, fromRun, charged) = try await Self.answer(answers, expected.stockcode, on: engine)
            XCTAssertFalse(fromRun, expected.stockcode)
            XCTAssertEqual(charged, [1], "\(expected.stockcode): one product's work, not the catalogue's pass")
            assertSameDecision(row, expected)
        }
        for run in first.rows.prefix(20) {
            let (row, _, _) = try await Self.answer(answers, run.stockcode, on: engine)
            assertSameDecision(row, run)
        }
        XCTAssertEqual(multipliers.solves, 0, "no second solve")
        XCTAssertEqual(multipliers.handOvers, 1)
        XCTAssertEqual(multipliers.cached(engine, rules: Self.rules), multiplier, "the run's λ is the version-wide one, exactly")
    }

    /// A request arriving while the run is in its pass 1 waits for the run's λ instead of solving it too.
    func testARequestDuringPassOneWaitsForTheRunsMultiplier() async throws {
        let (engine, rows, multiplier) = try catalogue()
        // A generous wait: on a loaded machine the run's idle-priority thread may be slow to finish pass 1.
        let answers = PriceAnswers(harmBudgetRunWait: .seconds(120))
        let multipliers = answers.harmBudgetMultipliers
        guard case .admitted(let ticket, hit: false) = answers.run(nil, rules: Self.rules, on: engine, spend: { _ in nil }) else {
            return XCTFail("the run was not started")
        }
        XCTAssertNil(multipliers.cached(engine, rules: Self.rules), "λ not yet known")
        let expected = try XCTUnwrap(sample(rows, from: engine.store.products.map(\.stockcode)).first)
        // Several requests at once: one waits for the run, the others for it (the flight).
        async let a = Self.answer(answers, expected.stockcode, on: engine)
        async let b = Self.answer(answers, expected.stockcode, on: engine)
        let answered = try await [a, b]
        for (row, fromRun, charged) in answered {
            XCTAssertFalse(fromRun, "asked before the run finished")
            XCTAssertEqual(charged, [1], "a run is solving λ: one product's work")
            assertSameDecision(row, expected)
        }
        XCTAssertEqual(multipliers.solves, 0, "the request did not solve λ in parallel with the run")
        XCTAssertEqual(multipliers.handOvers, 1)
        XCTAssertEqual(multipliers.cached(engine, rules: Self.rules), multiplier)
        let finished = await ticket.run.finished()
        XCTAssertTrue(finished.finished)
        XCTAssertEqual(finished.rows.first { $0.stockcode == expected.stockcode }?.price, expected.price)
        ticket.release()
    }

    /// The run stops in its pass 1 (its reader left at once): a request waiting for its λ solves it itself.
    func testARunStoppedInPassOneLetsTheRequestSolve() async throws {
        let (engine, rows, multiplier) = try catalogue()
        // A wait far longer than the solve: the request returning well before it shows the withdrawal woke it.
        let answers = PriceAnswers(harmBudgetRunWait: .seconds(600))
        let multipliers = answers.harmBudgetMultipliers
        guard case .admitted(let ticket, hit: false) = answers.run(nil, rules: Self.rules, on: engine, spend: { _ in nil }) else {
            return XCTFail("the run was not started")
        }
        ticket.release()
        let expected = try XCTUnwrap(sample(rows, from: engine.store.products.map(\.stockcode)).first)
        let clock = ContinuousClock()
        let started = clock.now
        let (row, fromRun, charged) = try await Self.answer(answers, expected.stockcode, on: engine)
        XCTAssertLessThan(clock.now - started, .seconds(300), "woken by the run's withdrawal, not by the wait's end")
        XCTAssertFalse(fromRun)
        // Admitted while the run was still solving (one product) or after its withdrawal landed (the pass).
        XCTAssertTrue(charged == [1] || charged == [engine.store.products.count], "\(charged)")
        assertSameDecision(row, expected)
        _ = await ticket.run.finished()
        XCTAssertTrue(ticket.run.isCancelled)
        XCTAssertEqual(ticket.run.snapshot().rows.count, 0, "stopped in pass 1")
        XCTAssertEqual(multipliers.handOvers, 0)
        XCTAssertEqual(multipliers.solves, 1, "solved by the request once the run withdrew")
        XCTAssertEqual(multipliers.cached(engine, rules: Self.rules), multiplier)
    }

    /// Runs whose λ is not the version-wide one hand nothing over: a catalogue of every product in which one
    /// line sets today's price, and a catalogue of some products. The one-product answer stays the
    /// version-wide run's row, solved (and charged) as the catalogue's pass.
    func testRunsOverOtherCataloguesHandNothingOver() async throws {
        let (engine, rows, multiplier) = try catalogue()
        let answers = PriceAnswers()
        let multipliers = answers.harmBudgetMultipliers
        let codes = engine.store.products.map(\.stockcode)
        let priced = try XCTUnwrap(rows[codes[0]])
        var overridden = codes.map { RepricingItem(stockcode: $0) }
        overridden[0] = RepricingItem(stockcode: codes[0], terms: ProductTerms(currentPrice: priced.currentPrice * 1.1))
        let subset = codes.prefix(500).map { RepricingItem(stockcode: $0) }
        for items in [overridden, Array(subset)] {
            guard case .admitted(let ticket, hit: false) = answers.run(items, rules: Self.rules, on: engine, spend: { _ in nil }) else {
                return XCTFail("the run was not started")
            }
            let finished = await ticket.run.finished()
            XCTAssertTrue(finished.finished)
            ticket.release()
            // Anything the run dispatched has had time to land.
            try await Task.sleep(for: .milliseconds(200))
            XCTAssertNil(multipliers.cached(engine, rules: Self.rules), "\(items.count) items: no λ handed over")
            XCTAssertFalse(multipliers.solvedOrSolving(engine, rules: Self.rules))
        }
        XCTAssertEqual(multipliers.handOvers, 0)

        let expected = try XCTUnwrap(sample(rows, from: codes).first)
        let (row, fromRun, charged) = try await Self.answer(answers, expected.stockcode, on: engine)
        XCTAssertFalse(fromRun)
        XCTAssertEqual(charged, [codes.count], "the version-wide λ was not known: the catalogue's pass")
        assertSameDecision(row, expected)
        XCTAssertEqual(multipliers.solves, 1)
        XCTAssertEqual(multipliers.cached(engine, rules: Self.rules), multiplier)
    }

    /// Which catalogues solve the version-wide λ: every product in the version's order with no terms (line
    /// numbers aside); not a reordering, a subset, or a line with a price, cost, floor or ceiling.
    func testWhichCataloguesSolveTheVersionWideMultiplier() throws {
        let (engine, _, _) = try catalogue()
        let codes = engine.store.products.map(\.stockcode)
        let plain = codes.map { RepricingItem(stockcode: $0) }
        XCTAssertTrue(engine.solvesCatalogueMultiplier(nil))
        XCTAssertTrue(engine.solvesCatalogueMultiplier(plain))
        XCTAssertTrue(engine.solvesCatalogueMultiplier(codes.enumerated().map { RepricingItem(stockcode: $1, line: $0 + 2) }))
        XCTAssertFalse(engine.solvesCatalogueMultiplier(plain.reversed()))
        XCTAssertFalse(engine.solvesCatalogueMultiplier(Array(plain.dropLast())))
        for terms in [ProductTerms(currentPrice: 2), ProductTerms(unitCost: 0.5), ProductTerms(floor: 0.1), ProductTerms(ceiling: 100)] {
            var items = plain
            items[items.count / 2] = RepricingItem(stockcode: codes[codes.count / 2], terms: terms)
            XCTAssertFalse(engine.solvesCatalogueMultiplier(items), "\(terms)")
        }
    }

    /// A run on a version a hot reload has since replaced hands its λ over after the new version's was
    /// solved: the new version's λ stays (a hand-over never drops other versions' entries).
    func testAStaleVersionsHandOverKeepsTheNewVersionsMultiplier() async throws {
        let (old, _, oldMultiplier) = try catalogue()
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        try scratch.editManifest { $0["model_version"] = "handover-newer" }
        let new = try PricingEngine(path: scratch.path)
        XCTAssertNotEqual(new.version, old.version)
        let multipliers = HarmBudgetMultipliers()
        let handover = try XCTUnwrap(multipliers.handover(engine: old, rules: Self.rules, items: nil))
        let newMultiplier = await multipliers.multiplier(new, rules: Self.rules)
        XCTAssertNotNil(newMultiplier)
        handover.deliver(oldMultiplier)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while multipliers.cached(old, rules: Self.rules) == nil, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(multipliers.cached(old, rules: Self.rules), oldMultiplier, "the stale run's λ is kept beside")
        XCTAssertEqual(multipliers.cached(new, rules: Self.rules), newMultiplier, "the new version's λ is not evicted")
        XCTAssertEqual(multipliers.solves, 1)
    }

    /// Two runs solve the same λ; the first withdraws (cancelled): a request still waits for the second.
    func testARequestWaitsWhileAnyRunIsSolving() async throws {
        let (engine, _, multiplier) = try catalogue()
        let multipliers = HarmBudgetMultipliers(runWait: .seconds(600))
        let first = try XCTUnwrap(multipliers.handover(engine: engine, rules: Self.rules, items: nil))
        let second = try XCTUnwrap(multipliers.handover(engine: engine, rules: Self.rules, items: nil))
        first.withdraw()
        try await Task.sleep(for: .milliseconds(50))  // the withdrawal lands on the pool
        XCTAssertTrue(multipliers.solvedOrSolving(engine, rules: Self.rules), "the second run is still solving")
        async let asked = multipliers.multiplier(engine, rules: Self.rules)
        try await Task.sleep(for: .milliseconds(50))
        second.deliver(multiplier)
        let value = await asked
        XCTAssertEqual(value, multiplier)
        XCTAssertEqual(multipliers.solves, 0, "the request waited for the second run")
        XCTAssertEqual(multipliers.handOvers, 1)
    }
}
