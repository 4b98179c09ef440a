// Runs one measurement in its own process and reaps it with wait4, so its peak RSS is its own
// (`ru_maxrss` of that child alone, not the whole tree), with stdout/stderr captured in files and a
// wall-clock limit after which it is killed.
import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct ChildProcess {
    struct Result {
        var status: Int32              // exit status, or 128 + signal
        var timedOut: Bool
        var peakRSSBytes: Int          // the child's ru_maxrss
        var wallSeconds: Double
        var stdout: String
        var stderr: String
    }

    /// Runs `arguments` (searched on PATH) in the current directory, capturing output under `logPrefix`
    /// (`<prefix>.stdout`, `<prefix>.stderr`).
    /// - Throws: `RunnerError` when the process cannot be started.
    static func run(_ arguments: [String], logPrefix: URL, timeoutSeconds: Double) throws -> Result {
        let outURL = URL(fileURLWithPath: logPrefix.path + ".stdout"), errURL = URL(fileURLWithPath: logPrefix.path + ".stderr")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw RunnerError(arguments[0], "cannot start: \(String(cString: strerror(spawned)))",
                              hint: "check the side's command (relative paths resolve against the working directory; bench/setup.sh installs .venv)")
        }

        var status: Int32 = 0, usage = rusage(), timedOut = false
        let deadline = start + UInt64(timeoutSeconds * 1e9)
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { break }
            if !timedOut && DispatchTime.now().uptimeNanoseconds > deadline {
                kill(pid, SIGKILL)
                timedOut = true
            }
            usleep(20_000)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, timedOut: timedOut, peakRSSBytes: Int(usage.ru_maxrss) * 1024, wallSeconds: wall,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}
