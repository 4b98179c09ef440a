// PipelineTests: test support (see the other files in this folder).
