#ifndef CAVENDISH_VECTOR_MATH_H
#define CAVENDISH_VECTOR_MATH_H
#include <stddef.h>

/// dst[i] = exp(src[i] - shift) for n elements (src may equal dst). Cephes' single-precision polynomial,
/// about 1 ulp on the normal range; NaN stays NaN, large inputs give +inf, very small ones 0.
void cav_exp_shifted(const float *src, float *dst, ptrdiff_t n, float shift);

#endif
