// Written in C because clang vectorizes this loop (compare-and-select, integer exponent tricks) into
// 8-wide AVX2 code, while Swift's generic SIMD min/max/mask operations compile to per-lane code: the
// Swift version ran 2-3x slower here.
#include "cavendish_vector_math.h"

void cav_exp_shifted(const float *src, float *dst, ptrdiff_t n, float shift) {
    for (ptrdiff_t i = 0; i < n; i++) dst[i] = cav_expf(src[i] - shift);
}

void cav_gelu(const float *src, float *dst, ptrdiff_t n) {
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
}

void cav_sigmoid(const float *src, float *dst, ptrdiff_t n) {
    // e / (1 + e) with e = exp(-|x|) <= 1 for x < 0: 1 / (1 + exp(-x)) would overflow exp below x = -88.7
    // and return 0 where the answer is a subnormal.
    for (ptrdiff_t i = 0; i < n; i++) {
        float x = src[i];
        float e = cav_expf(x < 0 ? x : -x);
        float y = x < 0 ? e / (1.0f + e) : 1.0f / (1.0f + e);
        dst[i] = x != x ? x : y;
    }
}
