// Splitting a loop over the machine's cores. Small loops run inline: waking a thread costs
// more than a few thousand flops.
import Dispatch
import Foundation

enum Parallel {
    /// Worker count used to split loops (one per active core).
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body` over disjoint chunks that together cover `0..<count`. `work` is a rough cost per
    /// item (in flops) so that tiny loops stay on the calling thread.
    static func forEach(_ count: Int, work: Int = 1, workers: Int = Parallel.workers, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workers, count)
        if chunks == 1 || count * work < 32_768 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }

    /// Like `forEach`, but also passes the worker index (0..<workers), for per-worker scratch.
    static func forEachWorker(_ count: Int, work: Int = 1, _ body: (_ worker: Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workers, count)
        if chunks == 1 || count * work < 32_768 {
            body(0, 0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(chunk, start..<end) }
        }
    }
}
