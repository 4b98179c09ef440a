// Repository ids, branch names and `hf://` sources are validated locally, with the Hub's rules.
import Basics
import Foundation
import Hub
import Testing

@Test func repositoryIdsFollowTheHubRules() throws {
    #expect(try HubRepoID("my-org/Model_v1.5").description == "my-org/Model_v1.5")
    for bad in ["noslash", "a/b/c", "-org/name", "org/name.", "org/na--me", "org/na..me", "org/name.git", "org/ná", "org/" + String(repeating: "x", count: 97), "org/with space", "/name"] {
        #expect(throws: RunnerError.self, "\(bad)") { try HubRepoID(bad) }
    }
    let error = try #require(throws: RunnerError.self) { try HubRepoID("org/bad name") }
    #expect(error.message.contains("letters, digits"))
}

@Test func branchNamesFollowGitRules() throws {
    for good in ["main", "release/v1", "exp-3_a"] { try GitRefName.validateBranch(good) }
    for bad in ["", "-x", "a..b", "a b", "a:b", "x.lock", "a//b", "trailing/", "@", "a~1", ".hidden"] {
        #expect(throws: RunnerError.self, "\(bad)") { try GitRefName.validateBranch(bad) }
    }
}

@Test func sourcesParseRevisionAndFile() throws {
    let plain = try HubSource(parsing: "hf://org/name")
    #expect(plain.repo.description == "org/name" && plain.revision == "main" && plain.file == nil)
    let pinned = try HubSource(parsing: "hf://org/name@0123456789abcdef0123456789abcdef01234567")
    #expect(pinned.isPinned)
    let gguf = try HubSource(parsing: "hf://org/name@v1.0/weights/model.Q4_1.gguf")
    #expect(gguf.revision == "v1.0" && gguf.file == "weights/model.Q4_1.gguf")
    let pr = try HubSource(parsing: "hf://org/name@refs%2Fpr%2F3")
    #expect(pr.revision == "refs/pr/3")
    #expect(pr.description == "hf://org/name@refs%2Fpr%2F3")
    for bad in ["hf://org", "hf://org/name@", "hf://org/name/config.json", "hf://datasets/org/name", "hf://org/na me", "hf://org/name@a..b", "hf://org/name/../x.gguf"] {
        #expect(throws: RunnerError.self, "\(bad)") { try HubSource(parsing: bad) }
    }
}

@Test func redactionRemovesTokensAndURLCredentials() throws {
    let redactor = Redactor(token: HubToken("hf_SECRETsecret123"))
    #expect(redactor.redact("bad token hf_SECRETsecret123 here") == "bad token *** here")
    #expect(redactor.redact("fatal: https://user:pa55@example.com/x.git not found") == "fatal: https://***@example.com/x.git not found")
    #expect(redactor.redact("see https://example.com/a@b") == "see https://example.com/a@b")
    #expect("\(try #require(HubToken("hf_SECRETsecret123")))" == "hf_***")
}

@Test func environmentFollowsHuggingfaceHubVariables() throws {
    let scratch = Scratch(); defer { scratch.cleanup() }
    scratch.write("hf/token", Data("hf_fromFILE\n".utf8))
    let fromFile = HubEnvironment.current(["HOME": "/home/u", "HF_HOME": scratch.url("hf").path, "HF_HUB_OFFLINE": "1"])
    #expect(fromFile.cacheDirectory.path == scratch.url("hf/hub").path)
    #expect(fromFile.offline && fromFile.endpoint.absoluteString == "https://huggingface.co")
    #expect(fromFile.redactor.redact("x hf_fromFILE y") == "x *** y", "the token file is read (and trimmed)")
    let fromVariable = HubEnvironment.current(["HOME": "/home/u", "HF_HOME": scratch.url("hf").path, "HF_TOKEN": "hf_fromENV",
                                               "HF_ENDPOINT": "http://127.0.0.1:8080/", "HF_HUB_CACHE": "~/models"])
    #expect(fromVariable.redactor.redact("hf_fromENV hf_fromFILE") == "*** hf_fromFILE", "HF_TOKEN wins over the file")
    #expect(fromVariable.endpoint.absoluteString == "http://127.0.0.1:8080" && !fromVariable.offline)
    #expect(fromVariable.cacheDirectory.path == "/home/u/models")
    let defaults = HubEnvironment.current(["HOME": "/home/u"])
    #expect(defaults.cacheDirectory.path == "/home/u/.cache/huggingface/hub" && defaults.token == nil)
    #expect(HubEnvironment.current(["HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"]).cacheDirectory.path == "/xdg/huggingface/hub")
}
