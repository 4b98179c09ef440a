// CPUBackend: the reference backend. GEMM through OpenBLAS, every other op a Swift SIMD loop
// spread over all cores. Its results define what every other backend must compute.
