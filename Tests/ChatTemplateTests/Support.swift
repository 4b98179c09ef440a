// ChatTemplateTests: test support.
