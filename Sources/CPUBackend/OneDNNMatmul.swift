// bf16 × bf16 → f32 matrix multiply through oneDNN (AVX512_BF16 / AMX kernels where the CPU has
// them; f32 accumulation). One primitive per problem shape, created on first use and cached, so a
// training step only pays oneDNN's JIT once per distinct GEMM. No oneDNN type leaves this file.
// Threads: oneDNN runs single-threaded and `Parallel` splits each product into row (or column)
// blocks, one per worker — OpenMP's spinning threads would otherwise fight the backend's own
// workers (and everyone else) for the cores. Scratchpads are user-managed, one per worker: oneDNN's
// default (library) scratchpad is shared by every primitive and only safe on the creating thread, and
// the K = 49152 LM-head gradient raced on it when two workers ran blocks of one shape at once.
import CDNNL
import Foundation

/// A cache of oneDNN matmul primitives on one CPU engine. Not thread-safe (one per backend).
final class OneDNNMatmul {
    /// Everything a primitive is specialized for. Leading dimensions are row strides of the stored
    /// (row-major) operands, so a block of a larger product is a problem of its own.
    struct Problem: Hashable {
        let m, n, k: Int
        let transposeA, transposeB: Bool
        let alpha, beta: Float
        var lda, ldb, ldc: Int

        init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float,
             lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
            (self.m, self.n, self.k, self.transposeA, self.transposeB, self.alpha, self.beta) = (m, n, k, transposeA, transposeB, alpha, beta)
            self.lda = lda ?? (transposeA ? m : k)
            self.ldb = ldb ?? (transposeB ? k : n)
            self.ldc = ldc ?? n
        }
    }

    /// Per worker: memory objects to bind that worker's pointers to, and its own scratchpad (nil
    /// when the primitive needs none).
    private typealias WorkerMemories = (a: dnnl_memory_t, b: dnnl_memory_t, c: dnnl_memory_t, scratchpad: dnnl_memory_t?)

    /// A compiled primitive and its per-worker memories.
    private final class Prepared {
        let primitive: dnnl_primitive_t
        let memories: [WorkerMemories]
        let implementation: String
        init(primitive: dnnl_primitive_t, memories: [WorkerMemories], implementation: String) {
            (self.primitive, self.memories, self.implementation) = (primitive, memories, implementation)
        }
        deinit {
            for m in memories {
                dnnl_memory_destroy(m.a)
                dnnl_memory_destroy(m.b)
                dnnl_memory_destroy(m.c)
                if let scratchpad = m.scratchpad { dnnl_memory_destroy(scratchpad) }
            }
            dnnl_primitive_destroy(primitive)
        }
    }

    private let engine: dnnl_engine_t
    private let streams: [dnnl_stream_t]          // one per worker
    private var prepared: [Problem: Prepared] = [:]
    /// Bounds the cache for callers whose shapes keep changing (e.g. a growing decode length).
    private let capacity = 256

    /// nil when oneDNN cannot create a CPU engine.
    init?() {
        singleThreadedOpenMP()   // before any primitive is created: oneDNN sizes its blocking by the thread count
        var engine: dnnl_engine_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
        var streams: [dnnl_stream_t] = []
        for _ in 0..<Parallel.workers {
            var stream: dnnl_stream_t?
            guard dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else {
                streams.forEach { dnnl_stream_destroy($0) }
                dnnl_engine_destroy(engine)
                return nil
            }
            streams.append(stream)
        }
        (self.engine, self.streams) = (engine, streams)
    }

    deinit {
        prepared.removeAll()
        streams.forEach { dnnl_stream_destroy($0) }
        dnnl_engine_destroy(engine)
    }

    /// The implementation oneDNN picked for `problem` (e.g. `brg:avx512_core_bf16`), for reports.
    func implementation(_ problem: Problem) -> String? { (try? primitive(problem))?.implementation }

    /// `c = alpha · op(a) · op(b) + beta · c`. a: bf16, (M, K) row-major or (K, M) when transposed;
    /// b: bf16, (K, N) or (N, K) when transposed; c: f32 (M, N) row-major. Split over the workers by
    /// rows of C (or by columns when there are few rows); every block is a product of its own.
    func run(_ problem: Problem, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutablePointer<Float>) throws {
        let workers = Parallel.workers
        let byRows = problem.m >= 64 * workers || problem.m >= problem.n
        let extent = byRows ? problem.m : problem.n
        let parts = max(1, min(workers, extent / 16, Int(2 * Double(problem.m) * Double(problem.n) * Double(problem.k) / 2e6)))
        // Blocks: worker w takes [extent·w/parts, extent·(w+1)/parts), rounded to 16 for whole register tiles.
        let bounds = (0...parts).map { $0 == parts ? extent : (extent * $0 / parts) / 16 * 16 }
        var blocks: [(problem: Problem, prepared: Prepared, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutablePointer<Float>)] = []
        for w in 0..<parts where bounds[w] < bounds[w + 1] {
            let (start, size) = (bounds[w], bounds[w + 1] - bounds[w])
            let block: Problem
            let (pa, pb, pc): (UnsafeRawPointer, UnsafeRawPointer, UnsafeMutablePointer<Float>)
            if byRows {
                block = Problem(m: size, n: problem.n, k: problem.k, transposeA: problem.transposeA, transposeB: problem.transposeB,
                                alpha: problem.alpha, beta: problem.beta, lda: problem.lda, ldb: problem.ldb, ldc: problem.ldc)
                pa = a + 2 * (problem.transposeA ? start : start * problem.lda)
                (pb, pc) = (b, c + start * problem.ldc)
            } else {
                block = Problem(m: problem.m, n: size, k: problem.k, transposeA: problem.transposeA, transposeB: problem.transposeB,
                                alpha: problem.alpha, beta: problem.beta, lda: problem.lda, ldb: problem.ldb, ldc: problem.ldc)
                pb = b + 2 * (problem.transposeB ? start * problem.ldb : start)
                (pa, pc) = (a, c + start)
            }
            blocks.append((block, try primitive(block), pa, pb, pc))
        }
        var failure: Error?
        let lock = NSLock()
        Parallel.forEachWorker(blocks.count, work: 1 << 20) { worker, range in
            singleThreadedOpenMP()
            for index in range {
                do {
                    let block = blocks[index]
                    try execute(block.prepared, worker: worker, a: block.a, b: block.b, c: block.c)
                } catch {
                    lock.lock()
                    failure = error
                    lock.unlock()
                }
            }
        }
        if let failure { throw failure }
    }

    private func execute(_ p: Prepared, worker: Int, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutablePointer<Float>) throws {
        let memory = p.memories[worker]
        try check(dnnl_memory_set_data_handle(memory.a, UnsafeMutableRawPointer(mutating: a)), "binding A")
        try check(dnnl_memory_set_data_handle(memory.b, UnsafeMutableRawPointer(mutating: b)), "binding B")
        try check(dnnl_memory_set_data_handle(memory.c, UnsafeMutableRawPointer(c)), "binding C")
        var arguments = [dnnl_exec_arg_t(arg: Int32(DNNL_ARG_SRC), memory: memory.a),
                         dnnl_exec_arg_t(arg: Int32(DNNL_ARG_WEIGHTS), memory: memory.b),
                         dnnl_exec_arg_t(arg: Int32(DNNL_ARG_DST), memory: memory.c)]
        if let scratchpad = memory.scratchpad { arguments.append(dnnl_exec_arg_t(arg: Int32(DNNL_ARG_SCRATCHPAD), memory: scratchpad)) }
        try check(dnnl_primitive_execute(p.primitive, streams[worker], Int32(arguments.count), &arguments), "executing a matmul")
        try check(dnnl_stream_wait(streams[worker]), "waiting for a matmul")
    }

    private func primitive(_ problem: Problem) throws -> Prepared {
        if let hit = prepared[problem] { return hit }
        if prepared.count >= capacity { prepared.removeAll() }
        let (m, n, k) = (Int64(problem.m), Int64(problem.n), Int64(problem.k))
        // Row-major storage; a transposed operand is the same memory read with swapped strides.
        let (lda, ldb, ldc) = (Int64(problem.lda), Int64(problem.ldb), Int64(problem.ldc))
        var aDesc = try descriptor([m, k], problem.transposeA ? [1, lda] : [lda, 1], dnnl_bf16)
        var bDesc = try descriptor([k, n], problem.transposeB ? [1, ldb] : [ldb, 1], dnnl_bf16)
        var cDesc = try descriptor([m, n], [ldc, 1], dnnl_f32)

        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "creating matmul attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "asking for user scratchpads")
        if problem.alpha != 1 {
            var alpha = problem.alpha
            try check(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &alpha), "setting alpha")
        }
        if problem.beta != 0 {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "creating post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_sum(postOps, problem.beta), "adding beta·C")
            try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "setting post-ops")
        }

        var operation = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&operation, &aDesc, &bDesc, nil, &cDesc), "describing a \(problem) matmul")
        var descriptor: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, nil), "choosing a \(problem) matmul kernel")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var name: UnsafePointer<CChar>?
        _ = withUnsafeMutablePointer(to: &name) { dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, $0) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "compiling a \(problem) matmul")

        func memory(_ desc: inout dnnl_memory_desc_t, allocate: Bool = false) throws -> dnnl_memory_t {
            var memory: dnnl_memory_t?
            // DNNL_MEMORY_ALLOCATE ((void *)(size_t)-1): oneDNN allocates and owns the buffer.
            let handle = allocate ? UnsafeMutableRawPointer(bitPattern: UInt.max) : nil
            try check(dnnl_memory_create(&memory, &desc, engine, handle), "creating matmul memory")
            return memory!
        }
        var scratchpadDesc = dnnl_memory_desc_t()
        if let queried = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0) { scratchpadDesc = queried.pointee }
        let needsScratchpad = dnnl_memory_desc_get_size(&scratchpadDesc) > 0
        let memories: [WorkerMemories] = try streams.map { _ in
            (a: try memory(&aDesc), b: try memory(&bDesc), c: try memory(&cDesc),
             scratchpad: needsScratchpad ? try memory(&scratchpadDesc, allocate: true) : nil)
        }
        let entry = Prepared(primitive: primitive!, memories: memories, implementation: name.map { String(cString: $0) } ?? "?")
        prepared[problem] = entry
        return entry
    }

    private func descriptor(_ dims: [Int64], _ strides: [Int64], _ type: dnnl_data_type_t) throws -> dnnl_memory_desc_t {
        var desc = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_strides(&desc, Int32(dims.count), dims, type, strides), "describing matmul memory")
        return desc
    }

    private func check(_ status: dnnl_status_t, _ what: String) throws {
        guard status != dnnl_success else { return }
        throw OneDNNError(message: "oneDNN failed \(what) (status \(status.rawValue))")
    }
}

/// Sets this thread's OpenMP team size to 1 (libgomp keeps it per thread), so oneDNN runs on the
/// calling worker alone. libgomp is loaded with oneDNN; found by name so nothing links it directly.
private func singleThreadedOpenMP() {
    typealias SetThreads = @convention(c) (Int32) -> Void
    struct Holder { static let setThreads: SetThreads? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads")
        .map { unsafeBitCast($0, to: SetThreads.self) } }
    Holder.setThreads?(1)
}

struct OneDNNError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
