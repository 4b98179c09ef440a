// Compute: element types, shapes, tensors as views over buffers, and the Backend protocol that
// model code talks to. Knows nothing of files, recipes or a concrete backend.
