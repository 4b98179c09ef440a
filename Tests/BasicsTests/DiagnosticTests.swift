// Tests of diagnostic rendering: the one-line form users and editors read.
import Basics
import Testing

@Test func diagnosticRendersLocationKeyPathAndHint() {
    let d = Diagnostic(at: SourceLocation(file: "recipes/a.yaml", line: 12, column: 5), keyPath: "stages.train.lr",
                       "unknown key `lr`", hint: "did you mean `learning_rate`?")
    #expect(d.description == "recipes/a.yaml:12:5: error: stages.train.lr: unknown key `lr` (did you mean `learning_rate`?)")
}

@Test func diagnosticWithoutLocationOmitsIt() {
    let d = Diagnostic(.warning, "no stages")
    #expect(d.description == "warning: no stages")
}
