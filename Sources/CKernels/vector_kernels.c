// AVX-512 twins of CPUBackend's Swift SIMD loops (see vector_kernels.h): the same f32 operations in
// the same order, one 16-lane register per Swift `SIMD16<Float>`. Built with -ffp-contract=off so
// no multiply-add is fused (the Swift code rounds each product), keeping results bit-identical.
#include "vector_kernels.h"
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

int runner_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

/// e^x per lane: VectorExp.swift's `expLanes`, operation for operation.
TARGET static inline __m512 exp16(__m512 input) {
    __m512 x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(input, _mm512_set1_ps(-104.0f), _CMP_LT_OQ), input, _mm512_set1_ps(-104.0f));
    x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(input, _mm512_set1_ps(89.0f), _CMP_GT_OQ), x, _mm512_set1_ps(89.0f));
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 shifted = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.4426950408889634f)), magic);
    const __m512 n = _mm512_sub_ps(shifted, magic);
    const __m512i n_bits = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(magic));
    __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.1219444005469058e-4f)));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
    const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.0f));
    const __m512i half = _mm512_srai_epi32(n_bits, 1);
    const __m512i bias = _mm512_set1_epi32(127);
    const __m512 first = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(half, bias), 23));
    const __m512 second = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(n_bits, half), bias), 23));
    const __m512 result = _mm512_mul_ps(_mm512_mul_ps(y, first), second);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(input, input, _CMP_NEQ_UQ), result, input);   // NaN in, NaN out
}

TARGET void runner_exp_shifted(const float *x, float *out, float shift, long n, float *lane_sums) {
    __m512 sum = _mm512_loadu_ps(lane_sums);
    const __m512 s = _mm512_set1_ps(shift);
    for (long i = 0; i < n; i += 16) {
        const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
        _mm512_storeu_ps(out + i, e);
        sum = _mm512_add_ps(sum, e);
    }
    _mm512_storeu_ps(lane_sums, sum);
}

TARGET void runner_swiglu_forward(const float *gate, const float *up, float *out, long n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < n; i += 16) {
        const __m512 x = _mm512_loadu_ps(gate + i);
        const __m512 negated = _mm512_sub_ps(_mm512_setzero_ps(), x);   // Swift's prefix minus: −x, exact
        const __m512 silu = _mm512_div_ps(x, _mm512_add_ps(one, exp16(negated)));
        _mm512_storeu_ps(out + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
    }
}

TARGET void runner_swiglu_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up, long n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < n; i += 16) {
        const __m512 x = _mm512_loadu_ps(gate + i), grad = _mm512_loadu_ps(d_out + i);
        const __m512 upValue = _mm512_loadu_ps(up + i);   // read before d_up (which may alias up) is written
        const __m512 sigmoid = _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
        _mm512_storeu_ps(d_up + i, _mm512_mul_ps(_mm512_mul_ps(grad, x), sigmoid));
        const __m512 slope = _mm512_add_ps(one, _mm512_mul_ps(x, _mm512_sub_ps(one, sigmoid)));
        _mm512_storeu_ps(d_gate + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(grad, upValue), sigmoid), slope));
    }
}

TARGET void runner_round_bf16(const float *source, uint16_t *target, long n) {
    const __m512i round_base = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1);
    const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF), infinity = _mm512_set1_epi32(0x7F800000), quiet = _mm512_set1_epi32(0x40);
    for (long i = 0; i < n; i += 16) {
        const __m512i bits = _mm512_loadu_si512((const void *)(source + i));
        const __m512i high = _mm512_srli_epi32(bits, 16);
        const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(round_base, _mm512_and_si512(high, one))), 16);
        const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, abs_mask), infinity);
        const __m512i result = _mm512_mask_blend_epi32(nan, rounded, _mm512_or_si512(high, quiet));
        _mm256_storeu_si256((__m256i *)(target + i), _mm512_cvtepi32_epi16(result));
    }
}

TARGET void runner_lane_maximum(const float *x, long n, float *lanes) {
    __m512 best = _mm512_loadu_ps(lanes);
    for (long i = 0; i < n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        best = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, best, _CMP_GT_OQ), best, v);   // v where v > best
    }
    _mm512_storeu_ps(lanes, best);
}

TARGET void runner_scale(float *y, float alpha, long n) {
    const __m512 a = _mm512_set1_ps(alpha);
    for (long i = 0; i < n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), a));
}
