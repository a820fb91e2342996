import CPUFeatures
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The builds of the dense kernel this binary carries, each compiled for its own CPU, and the one
/// this process uses: the widest the CPU (and the OS) support, chosen once at load from CPUID, or
/// the one `PRICING_KERNEL` names (the benchmark and the tests run every variant through it).
public enum DenseKernelVariant: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Baseline x86-64 (SSE2, multiply then add), or NEON on arm64: any CPU.
    case generic
    /// x86-64-v3 (Haswell and later, Zen and later): AVX2 and FMA, 4 × 16 register tiles.
    case avx2
    /// x86-64-v4 (Skylake-SP and later, Zen 4 and later): AVX-512 F/CD/BW/DQ/VL, 8 × 32 tiles.
    case avx512

    /// The environment variable that overrides the choice.
    public static let environmentKey = "PRICING_KERNEL"

    /// The variants this CPU can run, narrowest first.
    public static let supported: [DenseKernelVariant] = allCases.filter { $0.missingFeatures.isEmpty }

    /// The widest variant this CPU can run.
    public static let best: DenseKernelVariant = supported.last ?? .generic

    /// The variant every `DenseNetwork` uses unless told otherwise: `PRICING_KERNEL` when it names one
    /// this CPU can run, else `best`. (The executable refuses to start on a `PRICING_KERNEL` it cannot
    /// honour, through `fromEnvironment()`; a library user falls back to `best` rather than crash.)
    public static let selected: DenseKernelVariant = (try? fromEnvironment()) ?? best

    /// The variant `PRICING_KERNEL` asks for (`best` when it is unset or empty), in `environment`
    /// or, when that is nil, in the process's environment.
    public static func fromEnvironment(_ environment: [String: String]? = nil)
        throws(DenseKernelSelectionError) -> DenseKernelVariant {
        let value = environment.map { $0[environmentKey] } ?? getenv(environmentKey).map { String(cString: $0) }
        guard let name = value, !name.isEmpty else { return best }
        guard let variant = DenseKernelVariant(rawValue: name.lowercased()) else {
            throw DenseKernelSelectionError(requested: name, reason: .unknown)
        }
        let missing = variant.missingFeatures
        guard missing.isEmpty else { throw DenseKernelSelectionError(requested: name, reason: .unsupported(missing: missing)) }
        return variant
    }

    /// The CPU features this variant was compiled to use that this CPU (or its OS) lacks.
    public var missingFeatures: [String] {
        #if arch(x86_64)
        let required: [(String, pricing_cpu_feature)]
        switch self {
        case .generic: return []
        case .avx2: required = Self.x86_64v3
        case .avx512: required = Self.x86_64v3 + Self.x86_64v4
        }
        return required.filter { CPUVectorFeatures.detected & $0.1.rawValue == 0 }.map(\.0)
        #else
        return self == .generic ? [] : ["x86-64"]
        #endif
    }

    public var description: String { rawValue }

    #if arch(x86_64)
    /// What `-target-cpu haswell` lets the compiler emit (DenseKernelAVX2 in Package.swift).
    private static let x86_64v3: [(String, pricing_cpu_feature)] = [
        ("AVX", PRICING_CPU_AVX), ("AVX2", PRICING_CPU_AVX2), ("FMA", PRICING_CPU_FMA), ("BMI1", PRICING_CPU_BMI1),
        ("BMI2", PRICING_CPU_BMI2), ("F16C", PRICING_CPU_F16C), ("LZCNT", PRICING_CPU_LZCNT), ("MOVBE", PRICING_CPU_MOVBE),
        ("POPCNT", PRICING_CPU_POPCNT),
    ]
    /// What `-target-cpu skylake-avx512` adds (DenseKernelAVX512 in Package.swift).
    private static let x86_64v4: [(String, pricing_cpu_feature)] = [
        ("AVX512F", PRICING_CPU_AVX512F), ("AVX512CD", PRICING_CPU_AVX512CD), ("AVX512BW", PRICING_CPU_AVX512BW),
        ("AVX512DQ", PRICING_CPU_AVX512DQ), ("AVX512VL", PRICING_CPU_AVX512VL),
    ]
    #endif
}

/// `PRICING_KERNEL` names no variant, or one this CPU cannot run (running it would end in SIGILL).
public struct DenseKernelSelectionError: Error, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unknown
        case unsupported(missing: [String])
    }
    public let requested: String
    public let reason: Reason

    public var description: String {
        let choices = DenseKernelVariant.supported.map(\.rawValue).joined(separator: ", ")
        switch reason {
        case .unknown:
            return "\(DenseKernelVariant.environmentKey)=\(requested) is not a kernel variant "
                + "(\(DenseKernelVariant.allCases.map(\.rawValue).joined(separator: ", "))); this CPU runs: \(choices)"
        case .unsupported(let missing):
            return "\(DenseKernelVariant.environmentKey)=\(requested): this CPU lacks \(missing.joined(separator: ", ")); "
                + "it runs: \(choices)"
        }
    }
}

/// The vector features of this CPU as the kernels see them, for the benchmark's report.
public enum CPUVectorFeatures {
    /// `pricing_cpu_feature` bits, read once.
    static let detected: UInt32 = pricing_cpu_features()

    /// The names of the features present, e.g. ["SSE4.2", "AVX", "AVX2", "FMA", …, "AVX512VL"].
    public static var names: [String] {
        #if arch(x86_64)
        let all: [(String, pricing_cpu_feature)] = [
            ("SSE4.2", PRICING_CPU_SSE42), ("POPCNT", PRICING_CPU_POPCNT), ("AVX", PRICING_CPU_AVX), ("AVX2", PRICING_CPU_AVX2),
            ("FMA", PRICING_CPU_FMA), ("F16C", PRICING_CPU_F16C), ("BMI1", PRICING_CPU_BMI1), ("BMI2", PRICING_CPU_BMI2),
            ("LZCNT", PRICING_CPU_LZCNT), ("MOVBE", PRICING_CPU_MOVBE), ("AVX512F", PRICING_CPU_AVX512F),
            ("AVX512CD", PRICING_CPU_AVX512CD), ("AVX512BW", PRICING_CPU_AVX512BW), ("AVX512DQ", PRICING_CPU_AVX512DQ),
            ("AVX512VL", PRICING_CPU_AVX512VL),
        ]
        return all.filter { detected & $0.1.rawValue != 0 }.map(\.0)
        #else
        return []
        #endif
    }
}
