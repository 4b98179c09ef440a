// DataTests: test support.
