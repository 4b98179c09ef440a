// Entry point of the `runner` executable; everything lives in RunnerCLI so tests can drive it.
// The shipped registry holds every stage kind module Stages implements.
import Pipeline
import RunnerCLI
import Stages

RunnerCommand.main(environment: RunnerEnvironment(registry: Stages.builtinRegistry))
