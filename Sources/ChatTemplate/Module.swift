// ChatTemplate module: a safe Jinja subset for the chat templates models ship (see docs/ARCHITECTURE.md).
