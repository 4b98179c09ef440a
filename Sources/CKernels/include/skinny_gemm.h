// Skinny f32 matrix products for LoRA's rank-r factors (one dimension ≤ 64), written with AVX-512
// intrinsics and chosen at run time: BLAS libraries pack and block for square-ish products and
// reach a fraction of their speed when one side is r = 8…64 wide. All accumulation is f32 (FMA).
// Row-major throughout; every kernel covers a sub-range so the caller can split it over workers.
#ifndef RUNNER_SKINNY_GEMM_H
#define RUNNER_SKINNY_GEMM_H

/// Widest small dimension the kernels take.
#define RUNNER_SKINNY_MAX 64

/// 1 when this CPU runs the kernels (AVX-512F), 0 otherwise (callers use BLAS then).
int runner_skinny_available(void);

/// Rows [row_begin, row_end) of C (M × n) = alpha · A (M × K) · Bp (K × n) + beta · C, n ≤ 64.
/// A: row stride lda. Bp: K rows of `ldbp` floats (ldbp a multiple of 16, columns ≥ n zero or
/// ignored). C: row stride ldc. With beta == 0, C is not read.
void runner_sgemm_small_n(long row_begin, long row_end, long n, long k, float alpha,
                          const float *a, long lda, const float *bp, long ldbp,
                          float beta, float *c, long ldc);

/// Rows [row_begin, row_end) of C (M × N) = alpha · A (M × k) · B (k × N) + beta · C, k ≤ 64.
/// A: row stride lda; B: row stride ldb; C: row stride ldc. With beta == 0, C is not read.
void runner_sgemm_small_k(long row_begin, long row_end, long n, long k, float alpha,
                          const float *a, long lda, const float *b, long ldb,
                          float beta, float *c, long ldc);

/// Columns [col_begin, col_end) of C (r × W) = alpha · Aᵀ · B + beta · C, summing over N rows:
/// A (N × r), r ≤ 64, row stride lda; B (N × W), row stride ldb. C element (p, j) lives at
/// c[p·ldc + j], or at c[j·ldc + p] when `transposed_c` (the product written as its transpose).
/// With beta == 0, C is not read.
void runner_sgemm_reduce_rows(long col_begin, long col_end, long rows, long r, float alpha,
                              const float *a, long lda, const float *b, long ldb,
                              float beta, float *c, long ldc, int transposed_c);

#endif
