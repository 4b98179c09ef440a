// runner's exit codes — a contract scripts and CI rely on.

/// 0 ok, 1 invalid recipe or input, 2 usage, 3 a stage failed, 130 interrupted (SIGINT).
public enum ExitStatus: Int32, Error, Sendable {
    case ok = 0
    case invalidInput = 1
    case usage = 2
    case stageFailed = 3
    case interrupted = 130
}
