// Data module: dataset readers, prompt formats, loss masks, packing (see docs/ARCHITECTURE.md).
