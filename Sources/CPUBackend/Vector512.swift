// Whether the elementwise loops run CKernels' AVX-512 twins (exp rows, SwiGLU, bf16 rounding).
// They compute bit-identical results, so the choice only changes speed; RUNNER_AVX512=0 turns it
// off (for A/B timing), and CPUs without AVX-512F never use it.
import CKernels
import Foundation

/// The run-time switch for the AVX-512 elementwise kernels.
public enum Vector512 {
    /// True when this CPU has AVX-512F and RUNNER_AVX512 is not "0". Read once per process.
    public static let enabled: Bool = runner_avx512_available() != 0 && ProcessInfo.processInfo.environment["RUNNER_AVX512"] != "0"
}
