// Basics: what every other module needs and nothing numeric — diagnostics with source
// locations, content digests, atomic file writes.
