// Generates the JSON Schema (2020-12) for recipes from the stage definitions: one branch per
// stage kind, chosen by `kind`, so editors complete and check each kind's own keys.
// `runner schema` prints it; schemas/recipe.schema.json is the committed copy.

public enum RecipeSchema {
    public static let id = "urn:runner:schema:recipe:v1"

    /// The schema as pretty, stable JSON text (ends with a newline).
    public static func generate(catalog: StageCatalog = .builtin) -> String {
        var defs: [(String, OrderedJSON)] = [
            ("stageName", .object([
                ("type", .string("string")),
                ("pattern", .string("^[A-Za-z][A-Za-z0-9_-]*$")),
                ("description", .string("The name of another stage in this recipe.")),
            ])),
            ("kind", .object([("enum", .array(catalog.kinds.map { .string($0) }))])),
        ]
        for spec in catalog.specs { defs.append(("stage_\(spec.kind)", stageSchema(spec))) }
        let stageRef = OrderedJSON.object([("oneOf", .array(catalog.specs.map { .object([("$ref", .string("#/$defs/stage_\($0.kind)"))]) }))])
        defs.append(("stage", stageRef))
        defs.append(("partialStage", .object([
            ("type", .array([.string("object"), .string("null")])),
            ("description", .string("A stage in a recipe that `extends` another: any subset of keys, merged over the parent's stage; null removes the stage.")),
            ("properties", .object([("kind", .object([("$ref", .string("#/$defs/kind"))]))])),
        ])))

        let schema: OrderedJSON = .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string(id)),
            ("title", .string("runner recipe")),
            ("description", .string("A declarative fine-tuning recipe: named stages forming a DAG. See docs/RECIPES.md.")),
            ("type", .string("object")),
            ("properties", .object([
                ("version", .object([("const", .int(Int64(RecipeLoader.formatVersion))), ("description", .string("Recipe format version."))])),
                ("name", .object([("type", .string("string")), ("minLength", .int(1)), ("description", .string("Short name for runs of this recipe."))])),
                ("seed", .object([("type", .string("integer")), ("minimum", .int(0)), ("default", .int(0)),
                                  ("description", .string("Seed for every random choice (LoRA init, shuffling, sampling)."))])),
                ("extends", .object([("type", .string("string")), ("description", .string("Another recipe file (relative to this one) to deep-merge under this one."))])),
                ("stages", .object([("type", .string("object")), ("minProperties", .int(1)),
                                    ("propertyNames", .object([("$ref", .string("#/$defs/stageName"))])),
                                    ("description", .string("Named stages; inputs name other stages."))])),
            ])),
            ("patternProperties", .object([("^x-", .object([("description", .string("Ignored: a place for YAML anchors shared by stages."))]))])),
            ("additionalProperties", .bool(false)),
            ("if", .object([("required", .array([.string("extends")]))])),
            ("then", .object([("properties", .object([("stages", .object([("additionalProperties", .object([("$ref", .string("#/$defs/partialStage"))]))]))]))])),
            ("else", .object([
                ("required", .array([.string("version"), .string("name"), .string("stages")])),
                ("properties", .object([("stages", .object([("additionalProperties", .object([("$ref", .string("#/$defs/stage"))]))]))])),
            ])),
            ("$defs", .object(defs)),
        ])
        return schema.pretty
    }

    static func stageSchema(_ spec: StageSpec) -> OrderedJSON {
        var properties: [(String, OrderedJSON)] = [("kind", .object([("const", .string(spec.kind))]))]
        for role in spec.inputs {
            let accepts = ArtifactKind.describe(role.accepts)
            properties.append((role.key, .object([("$ref", .string("#/$defs/stageName")),
                                                  ("description", .string("\(role.doc) Accepts: \(accepts)."))])))
        }
        for param in spec.params {
            var schema = typeSchema(param.type, range: param.range)
            if let value = param.defaultValue { schema.append(("default", OrderedJSON(value))) }
            schema.append(("description", .string(param.doc)))
            properties.append((param.key, .object(schema)))
        }
        let required = ["kind"] + spec.inputs.filter(\.required).map(\.key) + spec.params.filter(\.required).map(\.key)
        return .object([
            ("type", .string("object")),
            ("description", .string(spec.summary)),
            ("properties", .object(properties)),
            ("required", .array(required.map { .string($0) })),
            ("additionalProperties", .bool(false)),
        ])
    }

    static func typeSchema(_ type: ParamType, range: ParamRange?) -> [(String, OrderedJSON)] {
        var out: [(String, OrderedJSON)]
        switch type {
        case .bool: out = [("type", .string("boolean"))]
        case .int: out = [("type", .string("integer"))]
        case .double: out = [("type", .string("number"))]
        case .string: out = [("type", .string("string"))]
        case .path(.output): out = [("type", .string("string")), ("minLength", .int(1))]
        case .path(.input(_, let remote)):
            out = [("type", .string("string")), ("minLength", .int(1))]
            if !remote { out.append(("not", .object([("pattern", .string("^hf://"))]))) }
        case .choice(let options): out = [("enum", .array(options.map { .string($0) }))]
        case .list(let item): out = [("type", .string("array")), ("items", .object(typeSchema(item, range: nil)))]
        case .stringMap: out = [("type", .string("object")), ("additionalProperties", .object([("type", .string("string"))]))]
        case .byteSize:
            out = [("oneOf", .array([
                .object([("type", .string("integer")), ("minimum", .int(1))]),
                .object([("type", .string("string")), ("pattern", .string("^[0-9]+(\\.[0-9]+)?\\s*([KMGT]i?B|B)?$"))]),
            ]))]
        case .oneOf(let alternatives): out = [("anyOf", .array(alternatives.map { .object(typeSchema($0, range: nil)) }))]
        }
        guard let range else { return out }
        if range.powerOfTwo, let lo = range.minimum, let hi = range.maximum {
            var powers: [OrderedJSON] = []
            var p = Int64(1)
            while Double(p) <= hi { if Double(p) >= lo { powers.append(.int(p)) }; p *= 2 }
            return [("enum", .array(powers))]
        }
        func number(_ d: Double) -> OrderedJSON {
            if case .int = type { return .int(Int64(d)) }
            return d == d.rounded() && abs(d) < 1e15 ? .int(Int64(d)) : .double(d)
        }
        if let lo = range.minimum { out.append((range.minimumExclusive ? "exclusiveMinimum" : "minimum", number(lo))) }
        if let hi = range.maximum { out.append((range.maximumExclusive ? "exclusiveMaximum" : "maximum", number(hi))) }
        if let n = range.minItems { out.append(("minItems", .int(Int64(n)))) }
        return out
    }
}
