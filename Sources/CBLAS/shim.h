// OpenBLAS' cblas.h also declares openblas_get_corename and openblas_set_num_threads.
#include <cblas.h>

#include <malloc.h>
/// Keeps large freed blocks in glibc's heap instead of unmapping them (see ThreadPool.configure).
static inline void cav_keep_large_allocations(void) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
