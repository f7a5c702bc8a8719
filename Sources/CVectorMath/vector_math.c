// Written in C because clang vectorizes these loops (compare-and-select, integer exponent tricks) into
// 8-wide AVX2 code, while Swift's generic SIMD min/max/mask operations compile to per-lane code: the
// Swift version ran 2-3x slower here.
//
// Each loop is compiled twice: for the package's x86-64-v3 baseline (AVX2, FMA) and for AVX-512, where
// clang makes it 16 lanes wide; the AVX-512 copy runs where the CPU has it. Both evaluate the same
// expressions element by element, so they give the same bits.
//
// Every loop may run in place (src == dst). Element i is read before it is written and no other element
// is touched, so that is safe, but clang cannot prove it and, when the pointers are equal, its runtime
// overlap check sends the loop to its scalar remainder: softmax and attention (in place) ran 16x slower
// than out of place. `vectorize(assume_safety)` states the fact.
#define CAV_ELEMENTWISE _Pragma("clang loop vectorize(assume_safety)")
#include "cavendish_vector_math.h"

#if defined(__x86_64__)
#define CAV_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
static int cav_has_avx512(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
                           && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    return known;
}
// name##_wide (AVX-512) and name##_base (the baseline) from one body; name dispatches.
#define CAV_DISPATCH(name, params, args, ...) \
    CAV_AVX512 static void name##_wide params __VA_ARGS__ \
    static void name##_base params __VA_ARGS__ \
    void name params { if (cav_has_avx512()) name##_wide args; else name##_base args; }
#else
#define CAV_DISPATCH(name, params, args, ...) void name params __VA_ARGS__
#endif

CAV_DISPATCH(cav_exp_shifted, (const float *src, float *dst, ptrdiff_t n, float shift), (src, dst, n, shift), {
    CAV_ELEMENTWISE
    for (ptrdiff_t i = 0; i < n; i++) dst[i] = cav_expf(src[i] - shift);
})

CAV_DISPATCH(cav_gelu, (const float *src, float *dst, ptrdiff_t n), (src, dst, n), {
    CAV_ELEMENTWISE
    for (ptrdiff_t i = 0; i < n; i++) {
        float x = src[i];
        float z = (x < 0 ? -x : x) * 0.70710678118654752f;
        // erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2): the Chebyshev fit of Numerical Recipes
        // (erfcc), fractional error below 1.2e-7 for every z >= 0, so the negative tail keeps its
        // relative accuracy where 1 - erf(z) would cancel.
        float t = 1.0f / (1.0f + 0.5f * z);
        float p = 0.17087277f;
        p = p * t - 0.82215223f;
        p = p * t + 1.48851587f;
        p = p * t - 1.13520398f;
        p = p * t + 0.27886807f;
        p = p * t - 0.18628806f;
        p = p * t + 0.09678418f;
        p = p * t + 0.37409196f;
        p = p * t + 1.00002368f;
        p = p * t - 1.26551223f;
        float erfc = t * cav_expf(p - z * z);
        float y = x < 0 ? 0.5f * x * erfc : x * (1.0f - 0.5f * erfc);
        dst[i] = x != x ? x : y;
    }
})

CAV_DISPATCH(cav_sigmoid, (const float *src, float *dst, ptrdiff_t n), (src, dst, n), {
    // e / (1 + e) with e = exp(-|x|) <= 1 for x < 0: 1 / (1 + exp(-x)) would overflow exp below x = -88.7
    // and return 0 where the answer is a subnormal.
    CAV_ELEMENTWISE
    for (ptrdiff_t i = 0; i < n; i++) {
        float x = src[i];
        float e = cav_expf(x < 0 ? x : -x);
        float y = x < 0 ? e / (1.0f + e) : 1.0f / (1.0f + e);
        dst[i] = x != x ? x : y;
    }
})

// Binary arithmetic on one row, for Add/Sub/Mul/Div and the executor's fused epilogues (often in place,
// d == a). Each operand steps 1 (a full row) or 0 (one value broadcast along the row); other strides take
// the general loop. Swift's version called its operator through a closure per element (not vectorized).
#define CAV_BINARY_LOOPS(EXPR) \
    if (sa == 1 && sb == 1) { CAV_ELEMENTWISE for (ptrdiff_t i = 0; i < n; i++) { float x = a[i], y = b[i]; d[i] = EXPR; } } \
    else if (sa == 1 && sb == 0) { float y = b[0]; CAV_ELEMENTWISE for (ptrdiff_t i = 0; i < n; i++) { float x = a[i]; d[i] = EXPR; } } \
    else if (sa == 0 && sb == 1) { float x = a[0]; CAV_ELEMENTWISE for (ptrdiff_t i = 0; i < n; i++) { float y = b[i]; d[i] = EXPR; } } \
    else { for (ptrdiff_t i = 0; i < n; i++) { float x = a[i * sa], y = b[i * sb]; d[i] = EXPR; } }

CAV_DISPATCH(cav_binary, (int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *d, ptrdiff_t n),
             (op, a, sa, b, sb, d, n), {
    switch (op) {
    case CAV_ADD: CAV_BINARY_LOOPS(x + y) break;
    case CAV_SUB: CAV_BINARY_LOOPS(x - y) break;
    case CAV_MUL: CAV_BINARY_LOOPS(x * y) break;
    default: CAV_BINARY_LOOPS(x / y) break;
    }
})

// Mean and variance of a normalization group in one pass over memory: sums of d = x - K and of d^2
// with K = p[0], the shifted-data algorithm (Chan, Golub and LeVeque): since K is one of the samples,
// (mean - K)^2 is of the order of the variance, and var = E[d^2] - E[d]^2 does not cancel it away the
// way E[x^2] - E[x]^2 does for a large mean. Sums are reassociated into vector lanes (clang vectorizes a
// reduction only when allowed to reorder it), in float32 over blocks of 4,096 elements, the blocks
// combined in float64. Two passes (mean, then squared deviations) read the input once more than the
// normalization needs, which on a memory-bound kernel is a third of its time.
CAV_DISPATCH(cav_moments, (const float *p, ptrdiff_t n, float *shift, float *offset, float *variance),
             (p, n, shift, offset, variance), {
    if (n <= 0) { *shift = 0; *offset = 0; *variance = 0; return; }
    const float k = p[0];
    double sum = 0, squares = 0;
    for (ptrdiff_t start = 0; start < n; start += 4096) {
        ptrdiff_t end = start + 4096 < n ? start + 4096 : n;
        float s = 0, q = 0;
        { _Pragma("clang fp reassociate(on)") for (ptrdiff_t i = start; i < end; i++) { float d = p[i] - k; s += d; q += d * d; } }
        sum += s;
        squares += q;
    }
    double m = sum / (double)n, v = squares / (double)n - m * m;
    *shift = k;
    *offset = (float)m;
    *variance = (float)(v > 0 ? v : 0);
})

CAV_DISPATCH(cav_normalize, (const float *src, float *dst, ptrdiff_t n, float shift, float offset, float a, float b),
             (src, dst, n, shift, offset, a, b), {
    CAV_ELEMENTWISE
    for (ptrdiff_t i = 0; i < n; i++) dst[i] = ((src[i] - shift) - offset) * a + b;
})
