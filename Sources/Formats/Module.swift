// Formats: readers and writers for model files — safetensors (single and sharded) and GGUF.
// Readers mmap the file, validate every count and offset before trusting it, and hand out
// zero-copy views of tensor bytes. Every failure is a RunnerError naming the file and the problem.
