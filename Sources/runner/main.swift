// Entry point of the `runner` executable; everything lives in RunnerCLI so tests can drive it.
// The shipped registry grows as module Stages implements kinds (`Stages.builtinRegistry`).
import Pipeline
import RunnerCLI

RunnerCommand.main(environment: RunnerEnvironment(registry: StageRegistry()))
