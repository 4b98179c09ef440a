// Compute: element types, shapes, tensors as views over buffers, the activation arena and the
// Backend protocol that model code talks to. Knows nothing of files, recipes or a concrete backend.
