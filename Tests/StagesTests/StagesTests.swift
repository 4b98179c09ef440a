// StagesTests: tests for the Stages module.
import Testing
