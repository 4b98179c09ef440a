// CBLAS — the C interface of OpenBLAS (Debian: libopenblas-dev), used for GEMM by CPUBackend.
#include <cblas.h>
#include <stddef.h>
// Thread control for benchmarks and tests (OpenBLAS extension).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
