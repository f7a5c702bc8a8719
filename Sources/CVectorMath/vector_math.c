// Written in C because clang vectorizes this loop (compare-and-select, integer exponent tricks) into
// 8-wide AVX2 code, while Swift's generic SIMD min/max/mask operations compile to per-lane code: the
// Swift version ran 2-3x slower here.
#include <stdint.h>
#include <string.h>
#include "cavendish_vector_math.h"

static inline float bits_to_float(int32_t i) { float f; memcpy(&f, &i, 4); return f; }
static inline int32_t float_to_bits(float f) { int32_t i; memcpy(&i, &f, 4); return i; }

/// exp(in) by Cephes' single-precision polynomial; NaN stays NaN, large inputs give +inf, very small 0.
static inline float cav_expf(float in) {
    float x0 = in < -87.5f ? -87.5f : (in > 88.5f ? 88.5f : in);
    // k = round(x / ln 2) by the 1.5 * 2^23 trick: the sum's low mantissa bits hold the integer.
    const float magic = 12582912.0f;
    float shifted = x0 * 1.44269504088896341f + magic;
    float fx = shifted - magic;
    int32_t k = float_to_bits(shifted) - float_to_bits(magic);
    float x = x0 - fx * 0.693359375f;
    x = x + fx * 2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    // 2^k split in two factors so each stays a normal float for k in [-127, 128].
    int32_t k1 = k >> 1, k2 = k - k1;
    float r = y * bits_to_float((k1 + 127) << 23) * bits_to_float((k2 + 127) << 23);
    r = in < -103.9f ? 0.0f : r;
    r = in > 88.73f ? __builtin_inff() : r;
    return in != in ? in : r;
}

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
    for (ptrdiff_t i = 0; i < n; i++) dst[i] = 1.0f / (1.0f + cav_expf(-src[i]));
}
