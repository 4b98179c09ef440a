// Ctrl-C during `apply`: the first SIGINT (or SIGTERM) asks the running stage to stop at its next
// cancellation check; the second exits at once with 130 (the cache never holds partial entries).
import Dispatch
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(cancellation: CancellationFlag) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if cancellation.isCancelled { _exit(ExitStatus.interrupted.rawValue) }
                cancellation.cancel()
                FileHandle.standardError.write(Data("\ninterrupting after the current step… (Ctrl-C again to stop now)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    func uninstall() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
