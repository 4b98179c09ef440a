// Models: the Llama family (Llama 2/3, Mistral, TinyLlama, SmolLM2, Qwen2) — configuration,
// weight loading from HF or GGUF naming, the forward pass on `any Backend`, and generation.
