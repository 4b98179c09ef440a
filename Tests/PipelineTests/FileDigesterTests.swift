// File digests: correct SHA-256, memoized by file identity across instances, re-hashed (to the
// same digest) after `touch`, and directory digests over sorted relative paths.
import Basics
import Foundation
import Pipeline
import Testing

@Test func fileDigestIsSHA256OfBytes() throws {
    let s = Scratch(); defer { s.cleanup() }
    let url = s.write("a.txt", "abc")
    #expect(try FileDigester(memoURL: nil).digest(of: url) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}

@Test func memoAvoidsRehashingAcrossInstancesUntilTheFileChanges() throws {
    let s = Scratch(); defer { s.cleanup() }
    let url = s.write("model.bin", String(repeating: "x", count: 10_000))
    let memo = s.url("memo/file-digests.json")
    let first = FileDigester(memoURL: memo)
    let digest = try first.digest(of: url)
    #expect(first.filesHashed == 1)
    first.save()

    let second = FileDigester(memoURL: memo)
    #expect(try second.digest(of: url) == digest)
    #expect(second.filesHashed == 0)  // answered from the persistent memo

    // touch: new mtime → re-hashed → same digest.
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 5)], ofItemAtPath: url.path)
    #expect(try second.digest(of: url) == digest)
    #expect(second.filesHashed == 1)

    s.write("model.bin", String(repeating: "y", count: 10_000))
    #expect(try second.digest(of: url) != digest)
}

@Test func directoryDigestCoversNamesAndContents() throws {
    let s = Scratch(); defer { s.cleanup() }
    s.write("d/a.txt", "one")
    s.write("d/sub/b.txt", "two")
    let digester = FileDigester(memoURL: nil)
    let original = try digester.digest(of: s.url("d"))
    s.write("d/sub/b.txt", "TWO")
    let edited = try digester.digest(of: s.url("d"))
    #expect(edited != original)
    s.write("d/sub/b.txt", "two")
    #expect(try digester.digest(of: s.url("d")) == original)
    try FileManager.default.moveItem(at: s.url("d/a.txt"), to: s.url("d/c.txt"))
    #expect(try digester.digest(of: s.url("d")) != original)  // renaming a file changes the digest
}

@Test func missingInputNamesThePath() {
    let s = Scratch(); defer { s.cleanup() }
    #expect(throws: RunnerError.self) { try FileDigester(memoURL: nil).digest(of: s.url("nope.bin")) }
}
