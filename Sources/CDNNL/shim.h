// CDNNL — the C API of oneDNN (Debian: libdnnl-dev, 2.6+), used by CPUBackend for bf16 matmuls
// (AVX512_BF16 / AMX where the CPU has them) with f32 accumulation. Nothing outside CPUBackend imports it.
#include <oneapi/dnnl/dnnl.h>
