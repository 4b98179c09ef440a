// Recognizes "no space left on device" (ENOSPC) in whatever error a stage or a writer threw, so
// `apply` can say which filesystem filled up and how to free it, instead of a bare write failure.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum NoSpaceError {
    /// Whether `error`, or an error underlying it, is ENOSPC (POSIX or Foundation's out-of-space).
    static func matches(_ error: any Error) -> Bool {
        if let posix = error as? POSIXError, posix.code == .ENOSPC { return true }
        if let cocoa = error as? CocoaError, cocoa.code == .fileWriteOutOfSpace { return true }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain, ns.code == Int(ENOSPC) { return true }
        if ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error, matches(underlying) { return true }
        return String(describing: error).lowercased().contains(String(cString: strerror(ENOSPC)).lowercased())
    }

    /// The message for a stage whose writes into the cache at `cacheRoot` ran out of space.
    static func stageMessage(stage: String, cacheRoot: URL, error: any Error) -> String {
        "no space left on device while stage `\(stage)` wrote into the cache at \(cacheRoot.path): \(error)"
            + " — free space there (`runner cache gc` removes entries no recent run uses; `--max-size` keeps the cache small),"
            + " or set RUNNER_CACHE (or --cache) to a directory on a larger disk; nothing partial was kept, so the same command resumes"
    }

    /// The message for an output (`path:` of a stage) that could not be written for lack of space.
    static func outputMessage(stage: String, destination: URL, error: any Error) -> String {
        "no space left on device while writing the output of stage `\(stage)` to \(destination.path): \(error)"
            + " — free space on that disk or choose another output path; the stage's result is cached, so the same command only writes the output again"
    }
}
