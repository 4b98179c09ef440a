// Hub: the Hugging Face Hub and git remotes — resolving `hf://org/name[@revision]` through the
// local HF cache or the Hub's HTTP API, and publishing artifacts (Hub commits, git pushes).
