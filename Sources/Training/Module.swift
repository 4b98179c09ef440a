// Training module: optimizers, schedules, the step loop, checkpoints (see docs/ARCHITECTURE.md).
