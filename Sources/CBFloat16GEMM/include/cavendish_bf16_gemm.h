#ifndef CAVENDISH_BF16_GEMM_H
#define CAVENDISH_BF16_GEMM_H
#include <stddef.h>
#include <stdint.h>

/// dst[i] = bfloat16(src[i]), rounded to nearest even (NaN stays NaN), for n elements.
void cav_f32_to_bf16(const float *src, uint16_t *dst, ptrdiff_t n);

/// C[M, N] (float32, row stride ldc) = A[M, K] x B[K, N], A and B bfloat16 given by their row and column
/// strides in elements (so transposed views need no copy), accumulated in float32 by oneDNN's matmul
/// (vdpbf16ps where the CPU has AVX512_BF16). Returns 0, or oneDNN's status when it fails.
int cav_bf16_matmul(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K,
                    const uint16_t *A, ptrdiff_t a_rs, ptrdiff_t a_cs,
                    const uint16_t *B, ptrdiff_t b_rs, ptrdiff_t b_cs,
                    float *C, ptrdiff_t ldc);

#endif
