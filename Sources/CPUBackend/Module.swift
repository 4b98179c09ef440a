// CPUBackend module (see docs/ARCHITECTURE.md).
