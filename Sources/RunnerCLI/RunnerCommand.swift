// The `runner` command line: a thin layer over Recipe, Pipeline and Stages. `RunnerCommand.run`
// parses, runs, and maps every outcome to one of runner's exit codes.
import ArgumentParser
import Basics
import Foundation

/// Root command; subcommands live one per file in this module.
public struct RunnerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Fine-tune large language models from declarative, cached recipes.",
        discussion: """
        Exit codes: 0 ok, 1 invalid recipe or input, 2 usage error, 3 a stage failed, 130 interrupted.
        """,
        version: "0.1.0",
        subcommands: [ValidateCommand.self, SchemaCommand.self, PlanCommand.self, ApplyCommand.self, GenerateCommand.self, TokenizeCommand.self, DataCommand.self,
                      CacheCommand.self, RunsCommand.self, BenchCommand.self, BenchCellCommand.self]
    )

    public init() {}

    /// Runs the command line `arguments` (without the program name) against `environment` and
    /// returns the exit code. Never calls `exit`, so tests can drive it in-process.
    public static func run(_ arguments: [String], environment: RunnerEnvironment) -> Int32 {
        RunnerEnvironment.current = environment
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return ExitStatus.ok.rawValue
        } catch let status as ExitStatus {
            return status.rawValue
        } catch let error as DiagnosticError {
            Console.error(error.diagnostics.map(\.description).joined(separator: "\n"))
            return ExitStatus.invalidInput.rawValue
        } catch let error as RunnerError {
            Console.error("error: \(error)")
            return ExitStatus.invalidInput.rawValue
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Console.out(message) }  // --help, --version
                return ExitStatus.ok.rawValue
            }
            if !message.isEmpty { Console.error(message) }
            // ArgumentParser reports usage problems as EX_USAGE (64); runner's contract says 2.
            return code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue
        }
    }

    /// Entry point for executables: runs the process arguments and exits with the result.
    public static func main(environment: RunnerEnvironment) -> Never {
        let code = run(Array(CommandLine.arguments.dropFirst()), environment: environment)
        Foundation.exit(code)  // FileHandle writes are unbuffered: nothing left to flush
    }
}
