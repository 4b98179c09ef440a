// Interpreter, statements half: executes the syntax tree into output buffers under the budgets
// of ChatTemplateLimits, recording `{% generation %}` spans.
import Basics
import Foundation

final class Interpreter {
    let source: SourceText
    let limits: ChatTemplateLimits
    let now: Date
    let root = Frame(parent: nil)

    var steps = 0
    var iterations = 0
    var bytesWritten = 0
    var callDepth = 0
    var evalDepth = 0

    /// Output stack: index 0 is the rendered text; macros and `{% set %}` blocks capture above it.
    var buffers: [String] = [""]
    var rootScalars = 0
    var rootUTF8 = 0
    var spans: [GenerationSpan] = []

    /// `loop` with every key present, in Jinja's attribute order, so each iteration only updates values.
    let loopTemplate: Dict = {
        var d = Dict()
        for key in ["index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "previtem", "nextitem"] {
            d[key] = Value.none
        }
        return d
    }()

    enum Flow { case normal, breakLoop, continueLoop }

    init(source: SourceText, limits: ChatTemplateLimits, now: Date) {
        self.source = source
        self.limits = limits
        self.now = now
    }

    func render(_ body: [Stmt], context: TemplateDictionary) throws -> RenderedChat {
        for (key, value) in context { root.variables[key] = Value(value) }
        _ = try execute(body, in: root)
        return RenderedChat(text: buffers[0], generationSpans: spans)
    }

    // MARK: errors and budgets

    func fail(_ kind: ChatTemplateError.Kind, _ message: String, at offset: Int, hint: String? = nil) -> ChatTemplateError {
        ChatTemplateError(kind, message, at: source.location(offset), hint: hint)
    }

    func limitHit(_ limit: String, _ message: String, at offset: Int, setting: String) -> ChatTemplateError {
        fail(.limitExceeded(limit: limit), message, at: offset,
             hint: "the template may loop forever or explode; raise ChatTemplateLimits.\(setting) only if it is trusted")
    }

    func tick(_ offset: Int) throws {
        steps += 1
        if steps > limits.maxSteps {
            throw limitHit("steps", "template exceeded \(limits.maxSteps) evaluation steps", at: offset, setting: "maxSteps")
        }
    }

    func checkSize(_ count: Int, _ what: String, at offset: Int) throws {
        if count > limits.maxValueSize {
            throw limitHit("value size", "\(what) would have \(count) elements/bytes, over the limit of \(limits.maxValueSize)",
                           at: offset, setting: "maxValueSize")
        }
    }

    func write(_ text: String, at offset: Int) throws {
        let bytes = text.utf8.count
        bytesWritten += bytes
        if bytesWritten > limits.maxOutputBytes {
            throw limitHit("output size", "template wrote more than \(limits.maxOutputBytes) bytes", at: offset, setting: "maxOutputBytes")
        }
        buffers[buffers.count - 1] += text
        if buffers.count == 1 {
            rootScalars += text.unicodeScalars.count
            rootUTF8 += bytes
        }
    }

    /// Runs `body` into a fresh buffer and returns what it wrote.
    func capture(_ body: [Stmt], in frame: Frame) throws -> (String, Flow) {
        buffers.append("")
        let flow: Flow
        do {
            flow = try execute(body, in: frame)
        } catch {
            buffers.removeLast()
            throw error
        }
        return (buffers.removeLast(), flow)
    }

    // MARK: statements

    func execute(_ body: [Stmt], in frame: Frame) throws -> Flow {
        for statement in body {
            let flow = try execute(statement, in: frame)
            if flow != .normal { return flow }
        }
        return .normal
    }

    func execute(_ statement: Stmt, in frame: Frame) throws -> Flow {
        try tick(statement.offset)
        evalDepth += 1
        defer { evalDepth -= 1 }
        if evalDepth > limits.maxNestingDepth * 4 {
            throw limitHit("nesting depth", "evaluation nested deeper than \(limits.maxNestingDepth * 4) levels",
                           at: statement.offset, setting: "maxNestingDepth")
        }
        switch statement.kind {
        case .text(let text):
            try write(text, at: statement.offset)
        case .output(let expr):
            let value = try evaluate(expr, in: frame)
            try write(value.pyStr, at: statement.offset)
        case .ifChain(let branches, let elseBody):
            for branch in branches where try evaluate(branch.test, in: frame).truthy {
                return try execute(branch.body, in: frame)
            }
            return try execute(elseBody, in: frame)
        case .forLoop(let target, let iterable, let filter, let body, let elseBody):
            return try executeFor(target: target, iterable: iterable, filter: filter, body: body, elseBody: elseBody,
                                  in: frame, at: statement.offset)
        case .set(let target, let expr):
            try assign(try evaluate(expr, in: frame), to: target, in: frame, at: statement.offset)
        case .setBlock(let target, let filters, let body):
            let (text, _) = try capture(body, in: frame)
            var value = Value.string(text)
            for filter in filters { value = try applyFilter(filter, to: value, in: frame) }
            try assign(value, to: target, in: frame, at: statement.offset)
        case .macro(let definition):
            frame.variables[definition.name] = .macro(Macro(definition, closure: frame))
        case .callBlock(let call, let parameters, let defaults, let body):
            guard case .call(let callee, let args, let kwargs) = call.kind else { return .normal }
            let caller = Macro(MacroDefinition(name: "caller", parameters: parameters, defaults: defaults, body: body,
                                               offset: statement.offset), closure: frame)
            let result = try callValue(try evaluate(callee, in: frame), calleeExpr: callee, args: args, kwargs: kwargs,
                                       caller: caller, in: frame, at: call.offset)
            try write(result.pyStr, at: statement.offset)
        case .filterBlock(let filters, let body):
            let (text, flow) = try capture(body, in: frame)
            var value = Value.string(text)
            for filter in filters { value = try applyFilter(filter, to: value, in: frame) }
            try write(value.pyStr, at: statement.offset)
            return flow
        case .generation(let body):
            let startScalars = rootScalars
            let startUTF8 = rootUTF8
            let (text, flow) = try capture(body, in: frame)
            // As transformers does: the span starts where the top-level output stands now.
            spans.append(GenerationSpan(scalars: startScalars..<startScalars + text.unicodeScalars.count,
                                        utf8: startUTF8..<startUTF8 + text.utf8.count))
            try write(text, at: statement.offset)
            return flow
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    func assign(_ value: Value, to target: AssignTarget, in frame: Frame, at offset: Int) throws {
        switch target {
        case .names(let names):
            if names.count == 1 {
                frame.variables[names[0]] = value
                return
            }
            let items = try unpack(value, into: names.count, at: offset)
            for (name, item) in zip(names, items) { frame.variables[name] = item }
        case .namespaceAttribute(let namespace, let attribute):
            guard case .namespace(let ns)? = frame.lookup(namespace) else {
                throw fail(.type, "cannot assign attribute `\(attribute)` on `\(namespace)`: it is not a namespace()", at: offset,
                           hint: "create it with {% set \(namespace) = namespace() %}")
            }
            if attribute.hasPrefix("_") {
                throw fail(.unsupported(construct: "underscore attribute"),
                           "namespace attributes starting with `_` are not allowed (`\(attribute)`)", at: offset)
            }
            ns.attributes[attribute] = value
        }
    }

    func unpack(_ value: Value, into count: Int, at offset: Int) throws -> [Value] {
        let items = try iterate(value, at: offset)
        guard items.count == count else {
            throw fail(.type, "cannot unpack \(items.count) values into \(count) names", at: offset)
        }
        return items
    }

    /// What a `for` loop walks: list items, dict keys, string characters; undefined is empty.
    func iterate(_ value: Value, at offset: Int) throws -> [Value] {
        switch value {
        case .undefined: return []
        case .list(let items), .tuple(let items): return items
        case .dict(let d): return d.keys.map(\.value)
        case .namespace(let ns): return ns.attributes.keys.map(\.value)
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        default: throw fail(.type, "'\(value.typeName)' object is not iterable", at: offset)
        }
    }

    func executeFor(target: [String], iterable: Expr, filter: Expr?, body: [Stmt], elseBody: [Stmt],
                    in frame: Frame, at offset: Int) throws -> Flow {
        var items = try iterate(try evaluate(iterable, in: frame), at: iterable.offset)
        if let filter {
            items = try items.filter { item in
                let scope = Frame(parent: frame)
                try bind(item, to: target, in: scope, at: offset)
                return try evaluate(filter, in: scope).truthy
            }
        }
        if items.isEmpty {
            _ = try execute(elseBody, in: Frame(parent: frame))
            return .normal
        }
        let length = items.count
        for (index, item) in items.enumerated() {
            iterations += 1
            if iterations > limits.maxLoopIterations {
                throw limitHit("loop iterations", "template exceeded \(limits.maxLoopIterations) loop iterations",
                               at: offset, setting: "maxLoopIterations")
            }
            let scope = Frame(parent: frame)
            try bind(item, to: target, in: scope, at: offset)
            var loop = loopTemplate  // same keys every time: values update in place
            loop["index"] = .int(index + 1)
            loop["index0"] = .int(index)
            loop["revindex"] = .int(length - index)
            loop["revindex0"] = .int(length - index - 1)
            loop["first"] = .bool(index == 0)
            loop["last"] = .bool(index == length - 1)
            loop["length"] = .int(length)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["previtem"] = index > 0 ? items[index - 1] : .undefined("there is no previous item")
            loop["nextitem"] = index + 1 < length ? items[index + 1] : .undefined("there is no next item")
            scope.variables["loop"] = .dict(loop)
            if try execute(body, in: scope) == .breakLoop { break }
        }
        return .normal
    }

    func bind(_ item: Value, to target: [String], in scope: Frame, at offset: Int) throws {
        if target.count == 1 {
            scope.variables[target[0]] = item
        } else {
            for (name, value) in zip(target, try unpack(item, into: target.count, at: offset)) { scope.variables[name] = value }
        }
    }
}
