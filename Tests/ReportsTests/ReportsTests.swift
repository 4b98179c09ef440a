// ReportsTests: tests for the Reports module.
import Testing
