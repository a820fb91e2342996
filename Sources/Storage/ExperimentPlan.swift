public import ArtifactFormats
import Foundation

/// experiments.json: the week's price-test plan the learning loop publishes inside a model version
/// (docs/experiments.md describes every field). The manifest names the file (`experiments.file`) and
/// lists it in `files`, so its size and sha256 are verified with the rest of the version; a plan that
/// does not parse or breaks an invariant fails the version's load with an ``ArtifactError`` naming the
/// file and the field, like every other file.
///
/// Keys are snake_case as written; the decoder maps them explicitly (not by a key strategy) so that a
/// decoding error's path names the field as the file spells it.
public struct ExperimentPlan: Decodable, Sendable, Equatable {
    /// The limits the plan was made under (what the loop promised, shown to the reviewer).
    public struct Guardrails: Decodable, Sendable, Equatable {
        /// At most this share of the catalogue is under test (0…1).
        public let maxShareUnderTest: Double
        /// A test arm is at most this many percent from the current price.
        public let maxStepPct: Double
        /// The week's expected revenue given up to testing is at most this percentage of the tested products' revenue.
        public let maxRevenueAtRiskPct: Double
        /// A test stops when P(loss > 5%) passes this.
        public let stopLossProbability: Double

        enum CodingKeys: String, CodingKey {
            case maxShareUnderTest = "max_share_under_test", maxStepPct = "max_step_pct"
            case maxRevenueAtRiskPct = "max_revenue_at_risk_pct", stopLossProbability = "stop_loss_probability"
        }
    }

    /// The randomized holdout of comparable products kept at their prices, and the tested products'
    /// revenue relative to it.
    public struct Holdout: Decodable, Sendable, Equatable {
        public let products: Int
        /// Tested-vs-holdout revenue ratio − 1, and its 90% interval; nil before there is data.
        public let lift: Double?
        public let liftP5: Double?
        public let liftP95: Double?
        /// The held-out products this week, one each (`holdout.members`); empty for a plan written
        /// before the loop listed them (the key is optional).
        public let members: [HoldoutMember]
        /// Whether the plan has the `holdout.members` key (then it lists all `products`).
        public let membersListed: Bool

        enum CodingKeys: String, CodingKey { case products, lift, liftP5 = "lift_p5", liftP95 = "lift_p95", members }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            products = try c.decode(Int.self, forKey: .products)
            lift = try c.decodeIfPresent(Double.self, forKey: .lift)
            liftP5 = try c.decodeIfPresent(Double.self, forKey: .liftP5)
            liftP95 = try c.decodeIfPresent(Double.self, forKey: .liftP95)
            // Absent: a plan from before the loop listed members. Present, it must be an array (null is refused).
            membersListed = c.contains(.members)
            members = membersListed ? try c.decode([HoldoutMember].self, forKey: .members) : []
        }
    }

    /// One product in the randomized holdout: kept at its current price this week, drawn into the
    /// holdout with probability ``assignmentProbability`` in the week ``assignedWeek``. An assignment
    /// of the week like a test's arm, recorded in the ledger with arm `holdout`.
    public struct HoldoutMember: Decodable, Sendable, Equatable {
        public let stockcode: String
        /// The list price it is kept at (its current price).
        public let priceThisWeek: Double
        /// The probability π with which it was drawn into the holdout, in (0, 1].
        public let assignmentProbability: Double
        /// The Monday (YYYY-MM-DD) of the week it was randomized.
        public let assignedWeek: String

        public init(stockcode: String, priceThisWeek: Double, assignmentProbability: Double, assignedWeek: String) {
            self.stockcode = stockcode
            self.priceThisWeek = priceThisWeek
            self.assignmentProbability = assignmentProbability
            self.assignedWeek = assignedWeek
        }

        enum CodingKeys: String, CodingKey {
            case stockcode, priceThisWeek = "price_this_week", assignmentProbability = "assignment_probability"
            case assignedWeek = "assigned_week"
        }
    }

    /// Where a product's test stands.
    public enum Status: String, Decodable, Sendable, Equatable, CaseIterable {
        /// Moving among its three arms week by week: the repricing run posts this week's arm.
        case testing
        /// The evidence chose a price; the test is over and the price is the committed one.
        case committed
        /// Stopped without a commitment (loss guardrail, or more information is worth less than it costs).
        case stopped
    }

    /// Which price a product carries this week.
    public enum Arm: String, Decodable, Sendable, Equatable, CaseIterable {
        case low, current, high, committed
    }

    /// One week of a test: the posted price, the units sold, and the elasticity posterior after it.
    public struct Week: Decodable, Sendable, Equatable {
        public let weekStart: String
        public let price: Double
        public let units: Double
        public let elasticityMean: Double
        public let elasticitySd: Double

        enum CodingKeys: String, CodingKey {
            case weekStart = "week_start", price, units, elasticityMean = "elasticity_mean", elasticitySd = "elasticity_sd"
        }
    }

    /// One product under test (or whose test ended).
    public struct Test: Decodable, Sendable, Equatable {
        public let stockcode: String
        public let status: Status
        /// The three list prices `[low, current, high]`, ascending.
        public let arms: [Double]
        public let currentPrice: Double
        /// The price posted this week: one of ``arms``, or the committed price.
        public let priceThisWeek: Double
        public let armThisWeek: Arm
        /// The probability with which this week's arm was drawn (for unbiased estimates from the ledger).
        public let assignmentProbability: Double
        /// π, the probability with which the product would have gone to the holdout instead of this test,
        /// set before its draw (the holdout lift weights a tested product by 1 / (1 − π)), in [0, 1); nil in
        /// a plan written before tests carried it (the key is optional; present, null is refused).
        public let holdoutProbability: Double?
        public let startedWeek: String
        public let weeksRun: Int
        /// The elasticity posterior's standard deviation when the test started, and now.
        public let elasticitySdStart: Double
        public let elasticitySdNow: Double
        /// Posterior probability that the best arm gains over the current price.
        public let probabilityBestArmGains: Double
        /// Expected revenue given up to this test so far (versus keeping the current price).
        public let revenueGivenUp: Double
        /// Week by week, oldest first.
        public let history: [Week]

        enum CodingKeys: String, CodingKey {
            case stockcode, status, arms, currentPrice = "current_price", priceThisWeek = "price_this_week"
            case armThisWeek = "arm_this_week", assignmentProbability = "assignment_probability"
            case holdoutProbability = "holdout_probability", startedWeek = "started_week"
            case weeksRun = "weeks_run", elasticitySdStart = "elasticity_sd_start", elasticitySdNow = "elasticity_sd_now"
            case probabilityBestArmGains = "probability_best_arm_gains", revenueGivenUp = "revenue_given_up", history
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            stockcode = try c.decode(String.self, forKey: .stockcode)
            status = try c.decode(Status.self, forKey: .status)
            arms = try c.decode([Double].self, forKey: .arms)
            currentPrice = try c.decode(Double.self, forKey: .currentPrice)
            priceThisWeek = try c.decode(Double.self, forKey: .priceThisWeek)
            armThisWeek = try c.decode(Arm.self, forKey: .armThisWeek)
            assignmentProbability = try c.decode(Double.self, forKey: .assignmentProbability)
            // Absent: a plan from before tests carried it. Present, it must be a number (null is refused, as for
            // holdout.members), so a plan cannot say "no probability" and be followed as if it had none.
            holdoutProbability = c.contains(.holdoutProbability) ? try c.decode(Double.self, forKey: .holdoutProbability) : nil
            startedWeek = try c.decode(String.self, forKey: .startedWeek)
            weeksRun = try c.decode(Int.self, forKey: .weeksRun)
            elasticitySdStart = try c.decode(Double.self, forKey: .elasticitySdStart)
            elasticitySdNow = try c.decode(Double.self, forKey: .elasticitySdNow)
            probabilityBestArmGains = try c.decode(Double.self, forKey: .probabilityBestArmGains)
            revenueGivenUp = try c.decode(Double.self, forKey: .revenueGivenUp)
            history = try c.decode([Week].self, forKey: .history)
        }
    }

    public let planId: String
    /// The Monday (YYYY-MM-DD) of the week this plan prices.
    public let weekStart: String
    public let weeksRun: Int
    public let guardrails: Guardrails
    public let holdout: Holdout
    /// Expected revenue per week given up to testing so far, over every test.
    public let revenueGivenUp: Double
    public let tests: [Test]
    /// Position of each stockcode in ``tests``.
    private let positions: [String: Int]
    /// Position of each held-out stockcode in ``Holdout/members``.
    private let holdoutPositions: [String: Int]

    enum CodingKeys: String, CodingKey {
        case planId = "plan_id", weekStart = "week_start", weeksRun = "weeks_run", guardrails, holdout
        case revenueGivenUp = "revenue_given_up", tests
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        planId = try c.decode(String.self, forKey: .planId)
        weekStart = try c.decode(String.self, forKey: .weekStart)
        weeksRun = try c.decode(Int.self, forKey: .weeksRun)
        guardrails = try c.decode(Guardrails.self, forKey: .guardrails)
        holdout = try c.decode(Holdout.self, forKey: .holdout)
        revenueGivenUp = try c.decode(Double.self, forKey: .revenueGivenUp)
        tests = try c.decode([Test].self, forKey: .tests)
        // Duplicates are reported by validate(file:); the first one is the one looked up.
        positions = Dictionary(tests.enumerated().map { ($0.element.stockcode, $0.offset) }, uniquingKeysWith: { first, _ in first })
        holdoutPositions = Dictionary(holdout.members.enumerated().map { ($0.element.stockcode, $0.offset) },
                                      uniquingKeysWith: { first, _ in first })
    }

    /// The test of `stockcode`, whatever its status; nil when the product is not in the plan.
    public func test(for stockcode: String) -> Test? {
        positions[stockcode].map { tests[$0] }
    }

    /// The price a repricing run posts for `stockcode` this week: its arm while its test is running,
    /// nil otherwise (committed and stopped tests leave the decision to the normal rules).
    public func testPrice(for stockcode: String) -> Double? {
        guard let test = test(for: stockcode), test.status == .testing else { return nil }
        return test.priceThisWeek
    }

    /// The held-out product `stockcode`'s listing this week; nil when it is not in the holdout.
    public func holdoutMember(for stockcode: String) -> HoldoutMember? {
        holdoutPositions[stockcode].map { holdout.members[$0] }
    }

    /// The price the plan posts for `stockcode` this week: a running test's arm, or a held-out product's
    /// current price (the holdout is the lift's comparison only while it keeps that price, and the ledger
    /// records it there); nil when the plan leaves the product to the normal decision.
    public func plannedPrice(for stockcode: String) -> Double? {
        testPrice(for: stockcode) ?? holdoutMember(for: stockcode)?.priceThisWeek
    }
}

extension ExperimentPlan {
    /// The plan of `folder`'s version; nil when its manifest names none.
    public init?(folder: ArtifactFolder) throws(ArtifactError) {
        guard let spec = folder.manifest.experiments else { return nil }
        guard folder.manifest.files[spec.file] != nil else {
            throw ArtifactError(file: "manifest.json", .malformed("experiments.file \(spec.file) is not in the manifest's files"))
        }
        self = try Self.decode(folder.bytes(spec.file), file: spec.file)
    }

    /// Parses and validates the file's bytes; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws(ArtifactError) -> ExperimentPlan {
        let plan: ExperimentPlan
        do {
            plan = try JSONDecoder().decode(ExperimentPlan.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ArtifactError(file: file, .malformed(describe(error)))
        } catch {
            throw ArtifactError(file: file, .malformed(String(describing: error)))
        }
        try plan.validate(file: file)
        return plan
    }

    /// A decoding error as "field: what is wrong", the field as the file spells it (`tests[2].arms`).
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "field \(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) has the wrong type (expected \(typeName(type)))"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) is null (expected \(typeName(type)))"
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return field.isEmpty ? "not JSON (\(context.debugDescription))" : "field \(field): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is [Double].Type: "an array of numbers"
        case is Array<Any>.Type, is [Test].Type, is [Week].Type, is [HoldoutMember].Type: "an array"
        default: "\(type)".hasPrefix("Dictionary") ? "an object" : String(describing: type)
        }
    }

    /// The invariants the service relies on: dates, probabilities and prices in range, three ascending
    /// arms, this week's price one of them while testing, one test per product.
    func validate(file: String) throws(ArtifactError) {
        func bad(_ field: String, _ why: String) -> ArtifactError { ArtifactError(file: file, .malformed("field \(field): \(why)")) }
        func date(_ value: String, _ field: String) throws(ArtifactError) {
            guard Self.day(value) != nil else { throw bad(field, "\"\(value)\" is not a date YYYY-MM-DD") }
        }
        func probability(_ value: Double, _ field: String) throws(ArtifactError) {
            guard value.isFinite, (0...1).contains(value) else { throw bad(field, "\(value) is not a probability in 0…1") }
        }
        func finite(_ value: Double, _ field: String, atLeast low: Double = -.infinity) throws(ArtifactError) {
            guard value.isFinite, value >= low else { throw bad(field, "\(value) must be a finite number\(low > -.infinity ? " ≥ \(low)" : "")") }
        }
        func positive(_ value: Double, _ field: String) throws(ArtifactError) {
            guard value.isFinite, value > 0 else { throw bad(field, "\(value) must be a positive price") }
        }
        guard !planId.isEmpty else { throw bad("plan_id", "is empty") }
        guard let day = Self.day(weekStart) else { throw bad("week_start", "\"\(weekStart)\" is not a date YYYY-MM-DD") }
        guard Self.utc.component(.weekday, from: day) == 2 else {
            throw bad("week_start", "\(weekStart) is not a Monday (a plan prices the week that starts on it)")
        }
        guard weeksRun >= 0 else { throw bad("weeks_run", "\(weeksRun) is negative") }
        try probability(guardrails.maxShareUnderTest, "guardrails.max_share_under_test")
        guard guardrails.maxStepPct.isFinite, guardrails.maxStepPct > 0, guardrails.maxStepPct < 100 else {
            throw bad("guardrails.max_step_pct", "\(guardrails.maxStepPct) is not a percentage above 0 and below 100")
        }
        try finite(guardrails.maxRevenueAtRiskPct, "guardrails.max_revenue_at_risk_pct", atLeast: 0)
        try probability(guardrails.stopLossProbability, "guardrails.stop_loss_probability")
        guard holdout.products >= 0 else { throw bad("holdout.products", "\(holdout.products) is negative") }
        for (value, name) in [(holdout.lift, "lift"), (holdout.liftP5, "lift_p5"), (holdout.liftP95, "lift_p95")] {
            if let value { try finite(value, "holdout." + name, atLeast: -1) }
        }
        if let p5 = holdout.liftP5, let p95 = holdout.liftP95, p5 > p95 {
            throw bad("holdout.lift_p5", "\(p5) is above lift_p95 \(p95)")
        }
        try finite(revenueGivenUp, "revenue_given_up")
        var seen = Set<String>()
        for (i, test) in tests.enumerated() {
            let at = "tests[\(i)]."
            guard !test.stockcode.isEmpty else { throw bad(at + "stockcode", "is empty") }
            guard seen.insert(test.stockcode).inserted else { throw bad(at + "stockcode", "\(test.stockcode) has a test already") }
            guard test.arms.count == 3, test.arms.allSatisfy({ $0.isFinite && $0 > 0 }), test.arms[0] < test.arms[1], test.arms[1] < test.arms[2] else {
                throw bad(at + "arms", "\(test.arms) is not three ascending positive prices [low, current, high]")
            }
            try positive(test.currentPrice, at + "current_price")
            try positive(test.priceThisWeek, at + "price_this_week")
            switch (test.status, test.armThisWeek) {
            case (.committed, .committed): break
            case (.committed, _), (_, .committed):
                throw bad(at + "arm_this_week", "\(test.armThisWeek.rawValue) with status \(test.status.rawValue): exactly the committed tests carry the committed arm")
            case (_, let arm):
                let armPrice = test.arms[arm == .low ? 0 : arm == .current ? 1 : 2]
                guard abs(armPrice - test.priceThisWeek) <= 1e-9 * armPrice else {
                    throw bad(at + "price_this_week", "\(test.priceThisWeek) is not the \(arm.rawValue) arm's price \(armPrice)")
                }
            }
            try probability(test.assignmentProbability, at + "assignment_probability")
            if let pi = test.holdoutProbability {  // a tested product was not held out: π < 1
                guard pi.isFinite, pi >= 0, pi < 1 else { throw bad(at + "holdout_probability", "\(pi) is not a probability in [0, 1)") }
            }
            try date(test.startedWeek, at + "started_week")
            guard test.weeksRun >= 0 else { throw bad(at + "weeks_run", "\(test.weeksRun) is negative") }
            try finite(test.elasticitySdStart, at + "elasticity_sd_start", atLeast: 0)
            try finite(test.elasticitySdNow, at + "elasticity_sd_now", atLeast: 0)
            try probability(test.probabilityBestArmGains, at + "probability_best_arm_gains")
            try finite(test.revenueGivenUp, at + "revenue_given_up")
            for (k, week) in test.history.enumerated() {
                let wat = at + "history[\(k)]."
                try date(week.weekStart, wat + "week_start")
                try positive(week.price, wat + "price")
                try finite(week.units, wat + "units", atLeast: 0)
                try finite(week.elasticityMean, wat + "elasticity_mean")
                try finite(week.elasticitySd, wat + "elasticity_sd", atLeast: 0)
            }
        }
        try validateHoldoutMembers(bad)
    }

    /// `holdout.members`: as many as `holdout.products` (when listed), none twice and none also in
    /// `tests`, each kept at a positive price, held out with a probability in (0, 1] from a Monday
    /// no later than the plan's (the rules of training's experiments.check).
    private func validateHoldoutMembers(_ bad: (String, String) -> ArtifactError) throws(ArtifactError) {
        let members = holdout.members
        if holdout.membersListed, members.count != holdout.products {
            throw bad("holdout.members", "lists \(members.count) product(s), holdout.products says \(holdout.products)")
        }
        var seen = Set<String>()
        for (i, member) in members.enumerated() {
            let at = "holdout.members[\(i)]."
            guard !member.stockcode.isEmpty else { throw bad(at + "stockcode", "is empty") }
            guard seen.insert(member.stockcode).inserted else { throw bad(at + "stockcode", "\(member.stockcode) is listed twice") }
            guard positions[member.stockcode] == nil else {
                throw bad(at + "stockcode", "\(member.stockcode) is also in tests (a product is tested or held out, not both)")
            }
            guard member.priceThisWeek.isFinite, member.priceThisWeek > 0 else {
                throw bad(at + "price_this_week", "\(member.priceThisWeek) must be a positive price")
            }
            guard member.assignmentProbability.isFinite, member.assignmentProbability > 0, member.assignmentProbability <= 1 else {
                throw bad(at + "assignment_probability", "\(member.assignmentProbability) is not a probability in (0, 1]")
            }
            guard let day = Self.day(member.assignedWeek) else {
                throw bad(at + "assigned_week", "\"\(member.assignedWeek)\" is not a date YYYY-MM-DD")
            }
            guard Self.utc.component(.weekday, from: day) == 2 else { throw bad(at + "assigned_week", "\(member.assignedWeek) is not a Monday") }
            guard member.assignedWeek <= weekStart else {
                throw bad(at + "assigned_week", "\(member.assignedWeek) is after week_start \(weekStart)")
            }
        }
    }

    /// `text` as a calendar day (UTC) when it is exactly YYYY-MM-DD and a real date, else nil.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        let components = DateComponents(year: y, month: m, day: d)
        guard let date = utc.date(from: components),
              utc.dateComponents([.year, .month, .day], from: date) == components else { return nil }
        return date
    }

    /// The Gregorian calendar in UTC: plan dates are calendar days, not instants in a time zone.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
