#ifndef CAVENDISH_VECTOR_MATH_H
#define CAVENDISH_VECTOR_MATH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline float cav_bits_to_float(int32_t i) { float f; memcpy(&f, &i, 4); return f; }
static inline int32_t cav_float_to_bits(float f) { int32_t i; memcpy(&i, &f, 4); return i; }

/// exp(in) by Cephes' single-precision polynomial; NaN stays NaN, large inputs give +inf, very small 0.
/// The argument is clamped to [-104, 88.7228317] (88.7228317 is the largest float whose exp is finite),
/// not Cephes' [-87.5, 88.5]: with 2^k applied as two normal factors, k runs from -150 to 128, so
/// results near FLT_MAX come out right (a clamp at 88.5
/// gave exp(88.5) = 2.7e38 for every x in (88.5, 88.72]) and results below FLT_MIN underflow gradually
/// to subnormals (a clamp at -87.5 gave exp(-87.5) = 1e-38 for every x in [-103.9, -87.5)).
static inline float cav_expf(float in) {
    float x0 = in < -104.0f ? -104.0f : (in > 88.7228317f ? 88.7228317f : in);
    // k = round(x / ln 2) by the 1.5 * 2^23 trick: the sum's low mantissa bits hold the integer.
    const float magic = 12582912.0f;
    float shifted = x0 * 1.44269504088896341f + magic;
    float fx = shifted - magic;
    int32_t k = cav_float_to_bits(shifted) - cav_float_to_bits(magic);
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
    float r = y * cav_bits_to_float((k1 + 127) << 23) * cav_bits_to_float((k2 + 127) << 23);
    r = in < -104.0f ? 0.0f : r;
    r = in > 88.7228317f ? __builtin_inff() : r;
    return in != in ? in : r;
}


/// dst[i] = exp(src[i] - shift) for n elements (src may equal dst). Cephes' single-precision polynomial,
/// about 1 ulp on the normal range; NaN stays NaN, large inputs give +inf, very small ones 0.
void cav_exp_shifted(const float *src, float *dst, ptrdiff_t n, float shift);

/// dst[i] = GELU(src[i]) = x * Phi(x), the exact (erf) form, through an erfc fit: measured against
/// float64 erfc, relative error below 2e-5 over [-12, 12] (the worst case is deep in the negative tail,
/// where GELU is ~1e-30) and absolute error below 4e-7 (src may equal dst).
void cav_gelu(const float *src, float *dst, ptrdiff_t n);

/// dst[i] = 1 / (1 + exp(-src[i])) with the exp above (src may equal dst).
void cav_sigmoid(const float *src, float *dst, ptrdiff_t n);

/// The operators of `cav_binary`.
enum { CAV_ADD = 0, CAV_SUB = 1, CAV_MUL = 2, CAV_DIV = 3 };

/// d[i] = a[i * sa] op b[i * sb] for n elements, op one of CAV_ADD, CAV_SUB, CAV_MUL, CAV_DIV: one IEEE
/// operation per element, as the scalar expression gives (d may equal a or b).
void cav_binary(int op, const float *a, ptrdiff_t sa, const float *b, ptrdiff_t sb, float *d, ptrdiff_t n);

/// The mean and (population) variance of n elements in one pass, shifted by the first element; lane sums
/// in float32 over blocks of 4,096 elements, blocks summed in float64. The mean is returned as
/// shift + offset (shift = p[0], offset = mean - p[0] rounded), which keeps float32's precision around
/// the data rather than around the mean's magnitude. The order of the additions differs from a serial
/// loop (and between the AVX2 and AVX-512 copies) by reassociation only.
void cav_moments(const float *p, ptrdiff_t n, float *shift, float *offset, float *variance);

/// dst[i] = ((src[i] - shift) - offset) * a + b for n elements (src may equal dst), with the mean as
/// `cav_moments` gives it: a normalization's centring, scale and shift. Centring first keeps the result
/// exact where x * a and mean * a would be large and cancel.
void cav_normalize(const float *src, float *dst, ptrdiff_t n, float shift, float offset, float a, float b);

#endif
