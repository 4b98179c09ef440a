// `runner-testkit`: the runner CLI with test-only stage implementations (echo stages for the
// built-in kinds, plus concat/slow/fail/many_files kinds), for CLI subprocess tests. Never shipped.
// RUNNER_TESTKIT_TRACE=FILE appends "stage kind" per execution, so tests count real runs.
import Foundation
import PipelineTestStages
import RunnerCLI

let trace = ExecutionTrace(ProcessInfo.processInfo.environment["RUNNER_TESTKIT_TRACE"].map { URL(fileURLWithPath: $0) })
RunnerCommand.main(environment: RunnerEnvironment(registry: TestStages.registry(trace: trace), catalog: TestStageSpecs.catalog))
