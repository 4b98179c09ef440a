// The syntax tree of a template: statements and expressions, each with its source offset so
// every runtime error can name a line:col.

struct Expr {
    indirect enum Kind {
        case literal(Value)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(key: Expr, value: Expr)])
        case attribute(Expr, String)
        case item(Expr, Expr)
        case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
        case call(Expr, args: [Expr], kwargs: [(String, Expr)])
        case filter(Expr, FilterCall)
        case test(Expr, name: String, args: [Expr], negated: Bool)
        case not(Expr)
        case negate(Expr)
        case plus(Expr)
        case binary(BinaryOp, Expr, Expr)
        case concat([Expr])
        case and(Expr, Expr)
        case or(Expr, Expr)
        case compare(Expr, [(CompareOp, Expr)])
        case conditional(test: Expr, then: Expr, else: Expr?)
    }

    var kind: Kind
    var offset: Int
}

enum BinaryOp: String { case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**" }

enum CompareOp: String { case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", `in` = "in", notIn = "not in" }

/// `name(args, kw=…)` after a `|`, or at the head of a `{% filter %}` block.
struct FilterCall {
    var name: String
    var args: [Expr]
    var kwargs: [(String, Expr)]
    var offset: Int
}

/// Left side of `{% set %}` and `{% for %}`: plain names (several for unpacking), or `ns.attr`.
enum AssignTarget {
    case names([String])
    case namespaceAttribute(namespace: String, attribute: String)
}

struct MacroDefinition {
    var name: String
    var parameters: [String]
    /// Defaults for the trailing parameters, evaluated at call time as in Jinja.
    var defaults: [Expr]
    var body: [Stmt]
    var offset: Int
}

struct Stmt {
    indirect enum Kind {
        case text(String)
        case output(Expr)
        case ifChain([(test: Expr, body: [Stmt])], else: [Stmt])
        case forLoop(target: [String], iterable: Expr, filter: Expr?, body: [Stmt], else: [Stmt])
        case set(AssignTarget, Expr)
        case setBlock(AssignTarget, filters: [FilterCall], body: [Stmt])
        case macro(MacroDefinition)
        case callBlock(call: Expr, callerParameters: [String], callerDefaults: [Expr], body: [Stmt])
        case filterBlock([FilterCall], body: [Stmt])
        case generation([Stmt])
        case breakLoop
        case continueLoop
    }

    var kind: Kind
    var offset: Int
}
