#include "cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

// XGETBV without the -mxsave target flag, so this file builds for baseline x86-64.
static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

unsigned pricing_cpu_features(void) {
    unsigned a, b, c, d, features = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1;
    if ((c >> 20) & 1) features |= PRICING_CPU_SSE42;
    if ((c >> 23) & 1) features |= PRICING_CPU_POPCNT;
    if ((c >> 22) & 1) features |= PRICING_CPU_MOVBE;
    const int cpu_avx = (c >> 28) & 1, cpu_fma = (c >> 12) & 1, cpu_f16c = (c >> 29) & 1;
    const unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    const int os_ymm = (xcr0 & 0x6) == 0x6;    // XMM and YMM state
    const int os_zmm = (xcr0 & 0xe6) == 0xe6;  // plus opmask, ZMM0-15 upper halves, ZMM16-31
    if (os_ymm && cpu_avx) features |= PRICING_CPU_AVX;
    if (os_ymm && cpu_fma) features |= PRICING_CPU_FMA;
    if (os_ymm && cpu_f16c) features |= PRICING_CPU_F16C;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d) && ((c >> 5) & 1)) features |= PRICING_CPU_LZCNT;
    if (__get_cpuid_max(0, 0) < 7) return features;
    __cpuid_count(7, 0, a, b, c, d);
    if ((b >> 3) & 1) features |= PRICING_CPU_BMI1;
    if ((b >> 8) & 1) features |= PRICING_CPU_BMI2;
    if (os_ymm && ((b >> 5) & 1)) features |= PRICING_CPU_AVX2;
    if (os_zmm) {
        if ((b >> 16) & 1) features |= PRICING_CPU_AVX512F;
        if ((b >> 17) & 1) features |= PRICING_CPU_AVX512DQ;
        if ((b >> 28) & 1) features |= PRICING_CPU_AVX512CD;
        if ((b >> 30) & 1) features |= PRICING_CPU_AVX512BW;
        if ((b >> 31) & 1) features |= PRICING_CPU_AVX512VL;
    }
    return features;
}
#else
unsigned pricing_cpu_features(void) { return 0; }
#endif
