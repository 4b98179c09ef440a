// ChatTemplate module: a safe Jinja subset for the chat templates models ship (see docs/ARCHITECTURE.md).
// Pipeline: SourceText (normalize) → Lexer (tokens, whitespace control) → Parser/ExpressionParser (AST)
// → Validator (unknown filters/tests) → Interpreter/Evaluator (render under ChatTemplateLimits).
