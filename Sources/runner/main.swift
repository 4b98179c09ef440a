// Entry point of the `runner` executable; everything lives in RunnerCLI so tests can drive it.
import RunnerCLI

RunnerCommand.main()
