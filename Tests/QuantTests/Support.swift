// QuantTests: test support.
