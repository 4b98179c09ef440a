// Tokenizer module (see docs/ARCHITECTURE.md).
