#ifndef PRICING_CPU_FEATURES_H
#define PRICING_CPU_FEATURES_H

/// The vector features of the CPU this process runs on, as the operating system enables them
/// (AVX needs the OS to save the YMM state, AVX-512 the ZMM and mask state): what the dense-kernel
/// dispatcher checks before it picks a variant compiled for more than baseline x86-64.
/// On other architectures every bit is 0.
enum pricing_cpu_feature {
    PRICING_CPU_SSE42 = 1u << 0,
    PRICING_CPU_AVX = 1u << 1,
    PRICING_CPU_AVX2 = 1u << 2,
    PRICING_CPU_FMA = 1u << 3,
    PRICING_CPU_BMI1 = 1u << 4,
    PRICING_CPU_BMI2 = 1u << 5,
    PRICING_CPU_F16C = 1u << 6,
    PRICING_CPU_LZCNT = 1u << 7,
    PRICING_CPU_MOVBE = 1u << 8,
    PRICING_CPU_POPCNT = 1u << 9,
    PRICING_CPU_AVX512F = 1u << 10,
    PRICING_CPU_AVX512CD = 1u << 11,
    PRICING_CPU_AVX512BW = 1u << 12,
    PRICING_CPU_AVX512DQ = 1u << 13,
    PRICING_CPU_AVX512VL = 1u << 14,
};

/// A bit set of `pricing_cpu_feature`, read once with CPUID and XGETBV.
unsigned pricing_cpu_features(void);

#endif
