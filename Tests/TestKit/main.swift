// `runner-testkit`: the runner CLI with test-only stage implementations (echo stages for the
// built-in kinds, plus concat/slow/fail/many_files), for CLI subprocess tests. Never shipped.
