import Foundation
import TestSupport
import XCTest

/// `PRICING_KERNEL` on the real executable: every variant this CPU runs gives the same answer, and a
/// variant the CPU cannot run (or an unknown name) is refused in one line before anything loads.
final class KernelVariantCommandTests: XCTestCase {
    func run(_ arguments: [String], kernel: String) throws -> CommandResult {
        try CommandResult.run(ServerBinary.url(testBundle: Bundle(for: Self.self)), arguments, environment: ["PRICING_KERNEL": kernel])
    }

    /// The variants /proc/cpuinfo says this CPU runs (the kernel's own CPUID check is tested in InferenceTests).
    func variantsThisCPURuns() -> [String] {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set((cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? "").split(separator: " ").map(String.init))
        var variants = ["generic"]
        if ["avx2", "fma", "bmi2", "movbe"].allSatisfy(flags.contains) { variants.append("avx2") }
        if variants.count == 2 && ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) {
            variants.append("avx512")
        }
        return variants
    }

    func testEveryVariantThisCPURunsGivesTheSameAnswer() throws {
        var answers: [String: [String: Any]] = [:]
        for kernel in variantsThisCPURuns() {
            let r = try run(["predict", "85123A", "--models", CommittedModels.root, "--bins", "5", "--json"], kernel: kernel)
            XCTAssertEqual(r.status, 0, "\(kernel): \(r.stderr)")
            answers[kernel] = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        let generic = try XCTUnwrap(answers["generic"])
        let baseline = try XCTUnwrap(generic["baseline_units_per_week"] as? Double)
        for (kernel, answer) in answers {
            XCTAssertEqual(answer["model"] as? String, "mlp", kernel)
            let other = try XCTUnwrap(answer["baseline_units_per_week"] as? Double)
            XCTAssertEqual(other, baseline, accuracy: 1e-4 * abs(baseline), kernel)
        }
    }

    func testAnUnknownOrUnsupportedVariantIsRefusedInOneLine() throws {
        let r = try run(["predict", "85123A", "--models", CommittedModels.root], kernel: "sse9")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "")
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("PRICING_KERNEL=sse9 is not a kernel variant (generic, avx2, avx512)"), r.stderr)
        for kernel in ["avx2", "avx512"] where !variantsThisCPURuns().contains(kernel) {
            let r = try run(["predict", "85123A", "--models", CommittedModels.root], kernel: kernel)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("PRICING_KERNEL=\(kernel): this CPU lacks"), r.stderr)
        }
    }
}
