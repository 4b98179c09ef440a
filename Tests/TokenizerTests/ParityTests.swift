// Token ids and decodings identical to Hugging Face for SmolLM2 (byte-level BPE, read from the real
// GGUF) and Llama's SentencePiece vocabulary (llama.cpp's vocab-only GGUF).

import Foundation
import Testing
@testable import Tokenizer

@Suite struct ParityTests {
    @Test func smolLM2FromGGUFDescription() throws {
        let tokenizer = try Shared.smol.get()
        expectParity(tokenizer, try Fixtures.load("smollm2.json", as: ParityFixture.self))
    }

    @Test func llamaSentencePieceFromGGUFDescription() throws {
        let tokenizer = try Shared.llama.get()
        expectParity(tokenizer, try Fixtures.load("llama_spm.json", as: ParityFixture.self))
    }

    @Test func roundTripsWhereHuggingFaceDoes() throws {
        for (tokenizer, name) in [(try Shared.smol.get(), "smollm2.json"), (try Shared.llama.get(), "llama_spm.json")] {
            for item in try Fixtures.load(name, as: ParityFixture.self).cases where item.decoded_skip_special == item.text {
                #expect(tokenizer.decode(tokenizer.encode(item.text), skipSpecialTokens: true) == item.text)
            }
        }
    }

    @Test func specialTokensAndVocabulary() throws {
        let smol = try Shared.smol.get()
        #expect(smol.vocabularySize == 49152)
        #expect(smol.tokenPiece(1) == "<|im_start|>")
        #expect(smol.tokenId("<|im_end|>") == 2)
        #expect(smol.tokenPiece(905) == "Ġworld")
        #expect(smol.bosTokenId == 1 && smol.eosTokenId == 2)
        #expect(smol.isSpecial(0) && !smol.isSpecial(905))
        #expect(smol.tokenPiece(49152) == nil && smol.tokenPiece(-1) == nil)

        let llama = try Shared.llama.get()
        #expect(llama.vocabularySize == 32000)
        #expect(llama.bosTokenId == 1 && llama.eosTokenId == 2 && llama.unknownTokenId == 0)
        #expect(llama.tokenPiece(13) == "<0x0A>")
        #expect(llama.specialTokenIds == [0, 1, 2])
    }

    @Test func ggufMetadataMapsOntoTheDescription() throws {
        let smol = try Shared.smolDescription.get()
        #expect(smol.model == .gpt2)
        #expect(smol.preTokenizer == "smollm")
        #expect(smol.tokens.count == 49152 && smol.merges?.count == 48900)
        #expect(smol.tokenTypes?[1] == TokenizerDescription.TokenType.control.rawValue)
        let llama = try Shared.llamaDescription.get()
        #expect(llama.model == .llama && llama.merges == nil && llama.scores?.count == 32000)
        #expect(llama.unknownTokenId == 0 && llama.addBosToken == true && llama.addEosToken == false)
    }

    @Test func ignoresIdsOutsideTheVocabularyWhenDecoding() throws {
        let smol = try Shared.smol.get()
        #expect(smol.decode([19556, 99_999, -5, 905]) == "Hello world")
    }

    @Test func concurrentEncodesAgree() async throws {
        let smol = try Shared.smol.get()
        let texts = try Fixtures.load("smollm2.json", as: ParityFixture.self).cases
        await withTaskGroup(of: Bool.self) { group in
            for item in texts {
                group.addTask { smol.encode(item.text) == item.ids }
            }
            for await same in group { #expect(same) }
        }
    }
}
