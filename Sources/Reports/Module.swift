// Reports: what a run leaves for people to read — a self-contained report.html with inline SVG
// curves, and TensorBoard event files with the training scalars.
