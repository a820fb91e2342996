import ArtifactFormats
import Foundation
import Storage
import TestSupport
import XCTest

/// experiments.json (docs/experiments.md): read from a scratch copy of the committed version that
/// publishes a plan, loaded unsigned as an offline caller does; bad plans are refused naming the file
/// and the field.
final class ExperimentPlanTests: XCTestCase {
    func planBytes(_ plan: [String: Any]) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys]))
    }

    func validPlan() -> [String: Any] {
        ExperimentPlanFixture.plan(tests: [
            ExperimentPlanFixture.test("85123A", currentPrice: 2.95),
            ExperimentPlanFixture.test("22423", currentPrice: 12.75, arm: "committed", status: "committed"),
        ])
    }

    /// `plan` is refused with a malformed-file error naming experiments.json whose text contains `expected`.
    func expect(_ plan: [String: Any], refusedWith expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = try planBytes(plan)
        do {
            _ = try ExperimentPlan.decode(bytes, file: "experiments.json")
            XCTFail("the plan was accepted", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.hasPrefix("experiments.json: malformed: "), error.description, file: file, line: line)
            XCTAssertTrue(error.description.contains(expected), error.description, file: file, line: line)
        }
    }

    /// `plan` with `edit` applied to its first test.
    func editingFirstTest(_ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var plan = validPlan()
        var tests = plan["tests"] as! [[String: Any]]
        edit(&tests[0])
        plan["tests"] = tests
        return plan
    }

    func testAVersionThatPublishesAPlanLoadsItVerified() throws {
        let version = try ScratchVersion()
        defer { version.remove() }
        try version.addExperiments(validPlan())
        let folder = try ArtifactFolder.load(path: version.path)
        XCTAssertEqual(folder.manifest.experiments?.file, "experiments.json")
        let plan = try XCTUnwrap(try ExperimentPlan(folder: folder))
        XCTAssertEqual(plan.planId, "fixture-2026-W49")
        XCTAssertEqual(plan.weekStart, ExperimentPlanFixture.weekStart)
        XCTAssertEqual(plan.guardrails.maxShareUnderTest, 0.2)
        XCTAssertEqual(plan.holdout.liftP95, 0.047)
        XCTAssertEqual(plan.tests.map(\.stockcode), ["85123A", "22423"])
        let test = try XCTUnwrap(plan.test(for: "85123A"))
        XCTAssertEqual(test.status, .testing)
        XCTAssertEqual(test.armThisWeek, .high)
        XCTAssertEqual(test.priceThisWeek, 2.95 * 1.05, accuracy: 1e-12)
        XCTAssertEqual(test.history.map { ($0.elasticitySd * 10).rounded() }, [6, 5, 4])
        // Only a running test sets a repricing run's price.
        XCTAssertEqual(try XCTUnwrap(plan.testPrice(for: "85123A")), 2.95 * 1.05, accuracy: 1e-12)
        XCTAssertNil(plan.testPrice(for: "22423"))
        XCTAssertNil(plan.test(for: "NOSUCHCODE"))

        // A byte changed after publishing: the checksum refuses the whole version, naming the file.
        var bytes = try version.read("experiments.json")
        bytes[bytes.count / 2] ^= 0x20
        try version.write("experiments.json", bytes)
        XCTAssertThrowsError(try ArtifactFolder.load(path: version.path)) { error in
            XCTAssertEqual((error as? ArtifactError)?.file, "experiments.json")
        }
    }

    func testAVersionWithoutTheKeyHasNoPlanAndANamedFileMustBeListed() throws {
        XCTAssertNil(try ExperimentPlan(folder: CommittedModels.folder()))
        let version = try ScratchVersion()
        defer { version.remove() }
        try version.write("experiments.json", try planBytes(validPlan()))
        try version.editManifest { $0["experiments"] = ["file": "experiments.json"] }
        XCTAssertThrowsError(try ExperimentPlan(folder: ArtifactFolder.load(path: version.path))) { error in
            XCTAssertEqual(String(describing: error),
                           "manifest.json: malformed: experiments.file experiments.json is not in the manifest's files")
        }
    }

    func testAMissingFieldIsNamedWithItsPath() throws {
        var plan = validPlan()
        plan["plan_id"] = nil
        try expect(plan, refusedWith: "field plan_id is missing")
        let noStatus = editingFirstTest { $0["status"] = nil }
        try expect(noStatus, refusedWith: "field tests[0].status is missing")
        let noUnits = editingFirstTest { test in
            var history = test["history"] as! [[String: Any]]
            history[1]["units"] = nil
            test["history"] = history
        }
        try expect(noUnits, refusedWith: "field tests[0].history[1].units is missing")
    }

    func testAWrongTypeIsNamedWithItsPath() throws {
        let arms = editingFirstTest { $0["arms"] = "cheap" }
        try expect(arms, refusedWith: "field tests[0].arms has the wrong type")
        var plan = validPlan()
        plan["weeks_run"] = "three"
        try expect(plan, refusedWith: "field weeks_run has the wrong type (expected an integer)")
        let status = editingFirstTest { $0["status"] = "paused" }
        try expect(status, refusedWith: "field tests[0].status")
        XCTAssertThrowsError(try ExperimentPlan.decode(Array("{not json".utf8), file: "experiments.json")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("experiments.json: malformed: not JSON"), "\(error)")
        }
    }

    func testBrokenInvariantsAreRefusedNamingTheField() throws {
        let descending = editingFirstTest { $0["arms"] = [3.0, 2.9, 3.1] }
        try expect(descending, refusedWith: "field tests[0].arms: ")
        let offArm = editingFirstTest { $0["price_this_week"] = 3.0 }
        try expect(offArm, refusedWith: "field tests[0].price_this_week: 3.0 is not the high arm's price")
        let committedArm = editingFirstTest { $0["arm_this_week"] = "committed" }
        try expect(committedArm, refusedWith: "field tests[0].arm_this_week")
        let probability = editingFirstTest { $0["probability_best_arm_gains"] = 1.5 }
        try expect(probability, refusedWith: "field tests[0].probability_best_arm_gains")
        var sunday = validPlan()
        sunday["week_start"] = "2026-12-06"
        try expect(sunday, refusedWith: "field week_start: 2026-12-06 is not a Monday")
        var badDate = validPlan()
        badDate["week_start"] = "2026-02-30"
        try expect(badDate, refusedWith: "is not a date YYYY-MM-DD")
        var twice = validPlan()
        twice["tests"] = [ExperimentPlanFixture.test("85123A", currentPrice: 2.95), ExperimentPlanFixture.test("85123A", currentPrice: 2.95)]
        try expect(twice, refusedWith: "field tests[1].stockcode: 85123A has a test already")
        var interval = validPlan()
        interval["holdout"] = ["products": 10, "lift": 0.01, "lift_p5": 0.05, "lift_p95": 0.02]
        try expect(interval, refusedWith: "field holdout.lift_p5")
        // Null lifts are the plan before any data, not an error.
        var early = validPlan()
        early["holdout"] = ["products": 10, "lift": NSNull(), "lift_p5": NSNull(), "lift_p95": NSNull()]
        XCTAssertNil(try ExperimentPlan.decode(try planBytes(early), file: "experiments.json").holdout.lift)
    }

    /// A test's `holdout_probability` (π of having been held out instead) is read when present, in [0, 1);
    /// a plan without it (written before tests carried it) loads with none; null, out of range or not a
    /// number is refused naming the field.
    func testATestsHoldoutProbabilityIsReadAndAPlanWithoutItStillLoads() throws {
        let plan = try ExperimentPlan.decode(try planBytes(editingFirstTest { $0["holdout_probability"] = 0.15 }), file: "experiments.json")
        XCTAssertEqual(plan.tests.map(\.holdoutProbability), [0.15, nil])
        let zero = try ExperimentPlan.decode(try planBytes(editingFirstTest { $0["holdout_probability"] = 0.0 }), file: "experiments.json")
        XCTAssertEqual(zero.tests[0].holdoutProbability, 0, "a flat design without a holdout: π 0")
        let old = try ExperimentPlan.decode(try planBytes(validPlan()), file: "experiments.json")
        XCTAssertEqual(old.tests.map(\.holdoutProbability), [nil, nil])
        try expect(editingFirstTest { $0["holdout_probability"] = 1.0 },
                   refusedWith: "field tests[0].holdout_probability: 1.0 is not a probability in [0, 1)")
        try expect(editingFirstTest { $0["holdout_probability"] = -0.1 }, refusedWith: "field tests[0].holdout_probability: -0.1")
        try expect(editingFirstTest { $0["holdout_probability"] = NSNull() }, refusedWith: "field tests[0].holdout_probability is null")
        try expect(editingFirstTest { $0["holdout_probability"] = "0.2" }, refusedWith: "field tests[0].holdout_probability has the wrong type")
    }

    /// `validPlan()` holding out 21212 and 84879.
    func planWithHoldout() -> [String: Any] {
        ExperimentPlanFixture.withHoldout(validPlan(), members: [
            ExperimentPlanFixture.member("21212", price: 0.55, probability: 0.2),
            ExperimentPlanFixture.member("84879", price: 1.69, probability: 0.125, assignedWeek: ExperimentPlanFixture.weekStart),
        ])
    }

    /// `planWithHoldout()` with `edit` applied to its members.
    func editingMembers(_ edit: (inout [[String: Any]]) -> Void) -> [String: Any] {
        var plan = planWithHoldout()
        var holdout = plan["holdout"] as! [String: Any]
        var members = holdout["members"] as! [[String: Any]]
        edit(&members)
        holdout["members"] = members
        plan["holdout"] = holdout
        return plan
    }

    func testHoldoutMembersAreReadAndAPlanWithoutThemStillLoads() throws {
        let plan = try ExperimentPlan.decode(try planBytes(planWithHoldout()), file: "experiments.json")
        XCTAssertTrue(plan.holdout.membersListed)
        XCTAssertEqual(plan.holdout.members.map(\.stockcode), ["21212", "84879"])
        XCTAssertEqual(plan.holdout.members[1], ExperimentPlan.HoldoutMember(
            stockcode: "84879", priceThisWeek: 1.69, assignmentProbability: 0.125, assignedWeek: ExperimentPlanFixture.weekStart))
        XCTAssertNil(plan.testPrice(for: "21212"), "a held-out product is not under test")
        // A plan written before members were listed (validPlan: 40 products, no key) loads with none.
        let old = try ExperimentPlan.decode(try planBytes(validPlan()), file: "experiments.json")
        XCTAssertEqual(old.holdout.products, 40)
        XCTAssertEqual(old.holdout.members, [])
        XCTAssertFalse(old.holdout.membersListed)
    }

    func testHoldoutMembersThatBreakARuleAreRefusedNamingTheField() throws {
        try expect(editingMembers { $0.removeLast() }, refusedWith: "field holdout.members: lists 1 product(s), holdout.products says 2")
        try expect(editingMembers { $0[1]["stockcode"] = "21212" }, refusedWith: "field holdout.members[1].stockcode: 21212 is listed twice")
        try expect(editingMembers { $0[0]["stockcode"] = "85123A" }, refusedWith: "field holdout.members[0].stockcode: 85123A is also in tests")
        try expect(editingMembers { $0[0]["stockcode"] = "" }, refusedWith: "field holdout.members[0].stockcode: is empty")
        try expect(editingMembers { $0[1]["assignment_probability"] = 0.0 }, refusedWith: "field holdout.members[1].assignment_probability: 0.0 is not a probability in (0, 1]")
        try expect(editingMembers { $0[1]["assignment_probability"] = 1.5 }, refusedWith: "field holdout.members[1].assignment_probability")
        try expect(editingMembers { $0[0]["price_this_week"] = -1.0 }, refusedWith: "field holdout.members[0].price_this_week: -1.0 must be a positive price")
        try expect(editingMembers { $0[0]["assigned_week"] = "2026-11-17" }, refusedWith: "field holdout.members[0].assigned_week: 2026-11-17 is not a Monday")
        try expect(editingMembers { $0[0]["assigned_week"] = "2026-12-07" }, refusedWith: "field holdout.members[0].assigned_week: 2026-12-07 is after week_start 2026-11-30")
        try expect(editingMembers { $0[0]["assigned_week"] = "soon" }, refusedWith: "field holdout.members[0].assigned_week: \"soon\" is not a date")
        try expect(editingMembers { $0[0]["assigned_week"] = nil }, refusedWith: "field holdout.members[0].assigned_week is missing")
        try expect(editingMembers { $0[1]["price_this_week"] = "cheap" }, refusedWith: "field holdout.members[1].price_this_week has the wrong type")
        var null = planWithHoldout()
        var holdout = null["holdout"] as! [String: Any]
        holdout["members"] = NSNull()
        null["holdout"] = holdout
        try expect(null, refusedWith: "field holdout.members is null")
    }
}
