// Recipe definitions of the test-only stage kinds (concat, slow, fail, many_files), added to the
// built-in catalog so test recipes validate and compile like real ones. Not shipped.
import Recipe

public enum TestStageSpecs {
    /// What the test kinds produce.
    public static let text = ArtifactKind("test_text", noun: "test text")

    static let fromInput = InputRole("from", accepts: [text], required: false, doc: "An upstream test stage.")
    static let out = ParamSpec("out", .path(.output), doc: "Where to materialize the output.")

    public static let concat = StageSpec(
        kind: "concat", summary: "Test: concatenates its input's out.txt, `text` and the file at `file`.",
        inputs: [fromInput],
        params: [ParamSpec("text", .string, default: .string(""), doc: "Text to append."),
                 ParamSpec("file", .path(.input(directoryAllowed: false, remoteAllowed: false)), doc: "A file to append."), out],
        output: text)

    public static let slow = StageSpec(
        kind: "slow", summary: "Test: writes one line per step, sleeping between steps; honours cancellation.",
        inputs: [fromInput],
        params: [ParamSpec("steps", .int, default: .int(10), range: .atLeast(1), doc: "Number of steps."),
                 ParamSpec("step_ms", .int, default: .int(10), range: .atLeast(0), doc: "Sleep per step in milliseconds."),
                 ParamSpec("text", .string, default: .string("step"), doc: "Line prefix."), out],
        output: text)

    public static let fail = StageSpec(
        kind: "fail", summary: "Test: fails with `message`.",
        inputs: [fromInput],
        params: [ParamSpec("message", .string, default: .string("failed on purpose"), doc: "The error message.")],
        output: text)

    public static let manyFiles = StageSpec(
        kind: "many_files", summary: "Test: writes `count` small files in nested directories.",
        params: [ParamSpec("count", .int, default: .int(100), range: .atLeast(0), doc: "How many files."), out],
        output: text)

    /// The built-in kinds plus the test kinds.
    public static let catalog = StageCatalog.builtin.adding(concat).adding(slow).adding(fail).adding(manyFiles)
}
