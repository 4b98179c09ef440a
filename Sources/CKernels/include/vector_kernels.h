// AVX-512 versions of CPUBackend's hottest elementwise loops (exp for softmax rows, SwiGLU, f32 →
// bf16 rounding), chosen at run time. Each performs exactly the f32 operations, in the same order,
// of its Swift SIMD twin (VectorExp.swift, CPUElementwise.swift, CPUBackward.swift, CPUMatmul.swift),
// so results are bit-identical; only the instructions are wider (the package targets baseline x86-64).
#ifndef RUNNER_VECTOR_KERNELS_H
#define RUNNER_VECTOR_KERNELS_H
#include <stdint.h>

/// 1 when this CPU runs the kernels (AVX-512F), 0 otherwise (callers keep the Swift loops).
int runner_avx512_available(void);

/// out[i] = exp(x[i] − shift) for i < n (n a multiple of 16; out may alias x); adds each 16-block
/// into the 16 per-lane sums at `lane_sums` (in and out), as the Swift loop's `sum += e`.
void runner_exp_shifted(const float *x, float *out, float shift, long n, float *lane_sums);

/// out[i] = gate[i] / (1 + exp(−gate[i])) · up[i] for i < n (n a multiple of 16; out may alias gate).
void runner_swiglu_forward(const float *gate, const float *up, float *out, long n);

/// SwiGLU backward for i < n (n a multiple of 16): with s = 1 / (1 + exp(−gate)),
/// d_up = d_out·gate·s and d_gate = d_out·up·s·(1 + gate·(1 − s)). Aliasing as the Swift op allows.
void runner_swiglu_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up, long n);

/// f32 → bf16 bits, round to nearest even, NaN → quiet NaN, for i < n (n a multiple of 16).
void runner_round_bf16(const float *source, uint16_t *target, long n);

/// For i < n (n a multiple of 16): lanes[i % 16] = x[i] where x[i] > lanes[i % 16] (in and out), as
/// the Swift `maximum` loop keeps its 16 running maxima (NaN never replaces a lane).
void runner_lane_maximum(const float *x, long n, float *lanes);

/// y[i] = alpha · y[i] for i < n (n a multiple of 16).
void runner_scale(float *y, float alpha, long n);

#endif
