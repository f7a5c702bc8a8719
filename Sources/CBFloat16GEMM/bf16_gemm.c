// bfloat16 GEMM for the CPU backend's bf16 switch, through oneDNN's matmul primitive (libdnnl-dev):
// Debian's OpenBLAS 0.3.21 has no cblas_sbgemm, and oneDNN's brgemm kernels use AVX512_BF16's
// vdpbf16ps (two bf16 multiply-adds per float32 lane per instruction). Primitives are created once per
// shape and kept: creating one costs far more than running it at NB-mini's sizes. `ONEDNN_VERBOSE=1` prints
// the implementation each call runs (brg:avx512_core_bf16 on AVX512_BF16 CPUs).
#include "cavendish_bf16_gemm.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <string.h>

#define CAV_ELEMENTWISE _Pragma("clang loop vectorize(assume_safety)")

void cav_f32_to_bf16(const float *src, uint16_t *dst, ptrdiff_t n) {
    CAV_ELEMENTWISE
    for (ptrdiff_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        uint32_t nan = (u >> 16) | 0x40u;
        dst[i] = (uint16_t)(((u & 0x7fffffffu) > 0x7f800000u) ? nan : rounded);
    }
}

typedef struct {
    ptrdiff_t key[8];
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t a, b, c;
} cav_entry;

enum { CAV_CACHE = 256 };
static cav_entry cache[CAV_CACHE];
static int cached = 0;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int ready = 0;

static dnnl_status_t setup(void) {
    if (ready) return dnnl_success;
    dnnl_status_t s = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (s != dnnl_success) return s;
    s = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (s == dnnl_success) ready = 1;
    return s;
}

static dnnl_status_t make(cav_entry *e, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, ptrdiff_t a_rs, ptrdiff_t a_cs,
                          ptrdiff_t b_rs, ptrdiff_t b_cs, ptrdiff_t ldc) {
    dnnl_dims_t ad = {M, K}, as = {a_rs, a_cs}, bd = {K, N}, bs = {b_rs, b_cs}, cd = {M, N}, cs = {ldc, 1};
    dnnl_status_t s;
    if ((s = dnnl_memory_desc_init_by_strides(&e->a, 2, ad, dnnl_bf16, as)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&e->b, 2, bd, dnnl_bf16, bs)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&e->c, 2, cd, dnnl_f32, cs)) != dnnl_success) return s;
    dnnl_matmul_desc_t desc;
    if ((s = dnnl_matmul_desc_init(&desc, &e->a, &e->b, NULL, &e->c)) != dnnl_success) return s;
    dnnl_primitive_desc_t pd;
    if ((s = dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL)) != dnnl_success) return s;
    s = dnnl_primitive_create(&e->primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    return s;
}

int cav_bf16_matmul(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const uint16_t *A, ptrdiff_t a_rs, ptrdiff_t a_cs,
                    const uint16_t *B, ptrdiff_t b_rs, ptrdiff_t b_cs, float *C, ptrdiff_t ldc) {
    ptrdiff_t key[8] = {M, N, K, a_rs, a_cs, b_rs, b_cs, ldc};
    pthread_mutex_lock(&lock);
    dnnl_status_t s = setup();
    cav_entry *e = NULL, fresh;
    for (int i = 0; s == dnnl_success && i < cached; i++)
        if (memcmp(cache[i].key, key, sizeof key) == 0) { e = &cache[i]; break; }
    if (s == dnnl_success && e == NULL) {
        memcpy(fresh.key, key, sizeof key);
        s = make(&fresh, M, N, K, a_rs, a_cs, b_rs, b_cs, ldc);
        if (s == dnnl_success) {
            // A full cache drops its oldest entry (shapes are few: one per GEMM of a model).
            if (cached == CAV_CACHE) { dnnl_primitive_destroy(cache[0].primitive); memmove(cache, cache + 1, sizeof(cav_entry) * (CAV_CACHE - 1)); cached--; }
            cache[cached] = fresh;
            e = &cache[cached++];
        }
    }
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL;
    if (s == dnnl_success) s = dnnl_memory_create(&ma, &e->a, engine, (void *)A);
    if (s == dnnl_success) s = dnnl_memory_create(&mb, &e->b, engine, (void *)B);
    if (s == dnnl_success) s = dnnl_memory_create(&mc, &e->c, engine, (void *)C);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
        s = dnnl_primitive_execute(e->primitive, stream, 3, args);
        if (s == dnnl_success) s = dnnl_stream_wait(stream);
    }
    if (ma) dnnl_memory_destroy(ma);
    if (mb) dnnl_memory_destroy(mb);
    if (mc) dnnl_memory_destroy(mc);
    pthread_mutex_unlock(&lock);
    return (int)s;
}
