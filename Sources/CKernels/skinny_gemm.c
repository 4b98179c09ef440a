// Skinny f32 matrix products for LoRA's rank-r factors, AVX-512 with FMA (see skinny_gemm.h).
// Each kernel keeps a register tile of accumulators and streams the long dimension through it;
// the small operand stays in L1. Compiled for AVX-512 per function, entered only when
// runner_skinny_available() says the CPU has it.
#include "skinny_gemm.h"
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512vl,fma")))

int runner_skinny_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

/// Lanes [0, count) of a 16-lane vector, count in 1…16.
static inline __mmask16 lanes(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

/// C = alpha·acc + beta·C on the lanes of `mask` (C not read when beta == 0).
TARGET static inline void store_scaled(float *c, __m512 acc, float alpha, float beta, __mmask16 mask) {
    __m512 result = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
    if (beta != 0.0f) result = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, c), _mm512_set1_ps(beta), result);
    _mm512_mask_storeu_ps(c, mask, result);
}

// MARK: small n — C (M × n) = A (M × K) · Bp (K × n), a tile of MR rows × NV vectors of 16 columns.

#define SMALL_N_TILE(MR, NV)                                                                              \
TARGET static void small_n_##MR##x##NV(long row, long n, long k, float alpha, const float *a, long lda,   \
                                      const float *bp, long ldbp, float beta, float *c, long ldc) {     \
    __m512 acc[MR][NV];                                                                                 \
    for (int i = 0; i < MR; i++) for (int v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();         \
    const float *arow = a + row * lda;                                                                  \
    for (long p = 0; p < k; p++) {                                                                      \
        __m512 b[NV];                                                                                   \
        for (int v = 0; v < NV; v++) b[v] = _mm512_loadu_ps(bp + p * ldbp + 16 * v);                    \
        for (int i = 0; i < MR; i++) {                                                                  \
            __m512 x = _mm512_set1_ps(arow[i * lda + p]);                                               \
            for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(x, b[v], acc[i][v]);               \
        }                                                                                               \
    }                                                                                                   \
    for (int i = 0; i < MR; i++)                                                                        \
        for (int v = 0; v < NV; v++)                                                                    \
            store_scaled(c + (row + i) * ldc + 16 * v, acc[i][v], alpha, beta, lanes(n - 16 * v));      \
}
SMALL_N_TILE(4, 1) SMALL_N_TILE(4, 2) SMALL_N_TILE(4, 3) SMALL_N_TILE(4, 4)
SMALL_N_TILE(1, 1) SMALL_N_TILE(1, 2) SMALL_N_TILE(1, 3) SMALL_N_TILE(1, 4)

TARGET void runner_sgemm_small_n(long row_begin, long row_end, long n, long k, float alpha,
                                 const float *a, long lda, const float *bp, long ldbp,
                                 float beta, float *c, long ldc) {
    const long vectors = (n + 15) / 16;
    long row = row_begin;
    for (; row + 4 <= row_end; row += 4) {
        switch (vectors) {
        case 1: small_n_4x1(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        case 2: small_n_4x2(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        case 3: small_n_4x3(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        default: small_n_4x4(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        }
    }
    for (; row < row_end; row++) {
        switch (vectors) {
        case 1: small_n_1x1(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        case 2: small_n_1x2(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        case 3: small_n_1x3(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        default: small_n_1x4(row, n, k, alpha, a, lda, bp, ldbp, beta, c, ldc); break;
        }
    }
}

// MARK: small k — C (M × N) = A (M × k) · B (k × N), tiles of 4 rows × 64 columns.

#define SMALL_K_TILE(MR)                                                                                  \
TARGET static void small_k_##MR(long row, long col, long width, long k, float alpha, const float *a,     \
                                long lda, const float *b, long ldb, float beta, float *c, long ldc) {   \
    __m512 acc[MR][4];                                                                                  \
    __mmask16 mask[4];                                                                                  \
    for (int v = 0; v < 4; v++) mask[v] = width > 16 * v ? lanes(width - 16 * v) : (__mmask16)0;       \
    for (int i = 0; i < MR; i++) for (int v = 0; v < 4; v++) acc[i][v] = _mm512_setzero_ps();          \
    for (long p = 0; p < k; p++) {                                                                      \
        __m512 bv[4];                                                                                   \
        for (int v = 0; v < 4; v++) bv[v] = _mm512_maskz_loadu_ps(mask[v], b + p * ldb + col + 16 * v); \
        for (int i = 0; i < MR; i++) {                                                                  \
            __m512 x = _mm512_set1_ps(a[(row + i) * lda + p]);                                          \
            for (int v = 0; v < 4; v++) acc[i][v] = _mm512_fmadd_ps(x, bv[v], acc[i][v]);              \
        }                                                                                               \
    }                                                                                                   \
    for (int i = 0; i < MR; i++)                                                                        \
        for (int v = 0; v < 4; v++)                                                                     \
            if (mask[v]) store_scaled(c + (row + i) * ldc + col + 16 * v, acc[i][v], alpha, beta, mask[v]); \
}
SMALL_K_TILE(4) SMALL_K_TILE(1)

TARGET void runner_sgemm_small_k(long row_begin, long row_end, long n, long k, float alpha,
                                 const float *a, long lda, const float *b, long ldb,
                                 float beta, float *c, long ldc) {
    // Rows outer: C streams through once, row after row; B (k × N, ≤ 64 rows) stays in L2.
    long row = row_begin;
    for (; row + 4 <= row_end; row += 4)
        for (long col = 0; col < n; col += 64) small_k_4(row, col, n - col < 64 ? n - col : 64, k, alpha, a, lda, b, ldb, beta, c, ldc);
    for (; row < row_end; row++)
        for (long col = 0; col < n; col += 64) small_k_1(row, col, n - col < 64 ? n - col : 64, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// MARK: reduce rows — C (r × W) = Aᵀ (r × N) · B (N × W): PR rows of C × 16 columns in registers.

#define REDUCE_TILE(PR)                                                                                   \
TARGET static void reduce_##PR(long p0, long col, long width, long rows, float alpha, const float *a,    \
                               long lda, const float *b, long ldb, float beta, float *c, long ldc,      \
                               int transposed_c) {                                                      \
    __m512 acc[PR];                                                                                     \
    const __mmask16 mask = lanes(width);                                                                \
    for (int p = 0; p < PR; p++) acc[p] = _mm512_setzero_ps();                                          \
    for (long r = 0; r < rows; r++) {                                                                   \
        const __m512 bv = _mm512_maskz_loadu_ps(mask, b + r * ldb + col);                               \
        const float *ar = a + r * lda + p0;                                                             \
        for (int p = 0; p < PR; p++) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(ar[p]), bv, acc[p]);       \
    }                                                                                                   \
    for (int p = 0; p < PR; p++) {                                                                      \
        if (!transposed_c) {                                                                            \
            store_scaled(c + (p0 + p) * ldc + col, acc[p], alpha, beta, mask);                          \
        } else {                                                                                        \
            float lanes16[16];                                                                          \
            _mm512_storeu_ps(lanes16, acc[p]);                                                          \
            for (long j = 0; j < width; j++) {                                                          \
                float *out = c + (col + j) * ldc + p0 + p;                                              \
                *out = alpha * lanes16[j] + (beta != 0.0f ? beta * *out : 0.0f);                        \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
}
REDUCE_TILE(16) REDUCE_TILE(8) REDUCE_TILE(4) REDUCE_TILE(1)

TARGET void runner_sgemm_reduce_rows(long col_begin, long col_end, long rows, long r, float alpha,
                                     const float *a, long lda, const float *b, long ldb,
                                     float beta, float *c, long ldc, int transposed_c) {
    for (long col = col_begin; col < col_end; col += 16) {
        const long width = col_end - col < 16 ? col_end - col : 16;
        long p0 = 0;
        while (p0 < r) {
            const long left = r - p0;
            if (left >= 16) { reduce_16(p0, col, width, rows, alpha, a, lda, b, ldb, beta, c, ldc, transposed_c); p0 += 16; }
            else if (left >= 8) { reduce_8(p0, col, width, rows, alpha, a, lda, b, ldb, beta, c, ldc, transposed_c); p0 += 8; }
            else if (left >= 4) { reduce_4(p0, col, width, rows, alpha, a, lda, b, ldb, beta, c, ldc, transposed_c); p0 += 4; }
            else { reduce_1(p0, col, width, rows, alpha, a, lda, b, ldb, beta, c, ldc, transposed_c); p0 += 1; }
        }
    }
}
