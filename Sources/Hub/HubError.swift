// Turns a Hub HTTP error response into a message a user can act on (401/403: token; 404: repo
// or revision; 409/412/422: conflicts), with the server's own words redacted and trimmed.
import Basics
import Foundation

enum HubHTTPError {
    /// `what`: the operation (e.g. `download org/name@main: config.json`).
    static func make(_ what: String, _ response: HTTPResponse, redactor: Redactor, tokenPresent: Bool) -> RunnerError {
        var detail = serverMessage(response)
        detail = redactor.redact(detail)
        if detail.count > 300 { detail = String(detail.prefix(300)) + "…" }
        let suffix = detail.isEmpty ? "" : ": \(detail)"
        switch response.status {
        case 401:
            return RunnerError(what, "the Hub refused the request (401 unauthorized)\(suffix)",
                               hint: tokenPresent ? "the token in HF_TOKEN (or $HF_HOME/token) is invalid or expired"
                                                  : "set HF_TOKEN (or log in with `hf auth login`) to a token with access")
        case 403:
            return RunnerError(what, "the Hub denied access (403 forbidden)\(suffix)",
                               hint: "the token needs write access to this repository (or accept the model's terms on its page)")
        case 404:
            let code = response.header("x-error-code") ?? ""
            let hint = code == "RevisionNotFound" ? "check the revision after `@` (a branch, tag or commit)"
                : "check the repository id (private repositories need HF_TOKEN)"
            return RunnerError(what, "not found on the Hub (404\(code.isEmpty ? "" : " \(code)"))\(suffix)", hint: hint)
        default:
            return RunnerError(what, "the Hub answered HTTP \(response.status)\(suffix)",
                               hint: response.status >= 500 ? "the Hub may be down; try again later" : nil)
        }
    }

    /// The `error` field of a JSON body, or the body's text.
    private static func serverMessage(_ response: HTTPResponse) -> String {
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any], let error = object["error"] as? String {
            return error
        }
        return String(decoding: response.body.prefix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: " ")
    }
}
