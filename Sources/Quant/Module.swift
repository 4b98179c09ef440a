// Quant module (see docs/ARCHITECTURE.md).
