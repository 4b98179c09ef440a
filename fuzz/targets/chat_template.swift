// libFuzzer target: a Jinja chat template through ChatTemplate(source:) and render(messages:), with
// a small conversation. Budgets are 1/10 to 1/16 of the defaults (same checks, more executions per
// second); within them, a hang, a trap or an allocation the budgets do not explain is a bug.
import ChatTemplate
import Foundation

private let messages: [[String: TemplateValue]] = [
    ["role": .string("system"), "content": .string("Be brief.")],
    ["role": .string("user"), "content": .string("Hi <b>there</b> 🙂")],
    ["role": .string("assistant"), "content": .string("Hello!"), "reasoning_content": .string("greet")],
    ["role": .string("user"), "content": .list([.string("a"), .int(1)])],
]
private let fixedDate = Date(timeIntervalSince1970: 1_700_000_000)
private let limits: ChatTemplateLimits = {
    var limits = ChatTemplateLimits()
    limits.maxSteps = 200_000
    limits.maxLoopIterations = 10_000
    limits.maxOutputBytes = 1 << 20
    limits.maxValueSize = 1 << 20
    limits.maxRange = 10_000
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let template = try? ChatTemplate(source: source, name: "fuzz.jinja", limits: limits) else { return 0 }
    _ = try? template.render(messages: messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                             now: fixedDate)
    return 0
}
