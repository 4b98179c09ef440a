// SplitMix64: the reference sequence (data shuffles and LoRA init fixtures depend on it never
// changing) and the draws derived from it.
import Basics
import Testing

@Suite struct SplitMix64Tests {
    @Test func matchesTheReferenceSequence() {
        // Vigna's splitmix64.c with x = 1234567.
        var generator = SplitMix64(seed: 1234567)
        #expect((0..<5).map { _ in generator.next() } == [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821])
    }

    @Test func nextDoubleIsTheTop53BitsOfADraw() {
        var generator = SplitMix64(seed: 1234567)
        let first = generator.nextDouble()
        #expect(first == Double(UInt64(6457827717110365317) >> 11) / 9007199254740992)
        #expect((0..<1000).allSatisfy { _ in (0..<1).contains(generator.nextDouble()) })
    }

    @Test func uniformDrawsStayInRangeAndCoverIt() {
        var generator = SplitMix64(seed: 7)
        var seen = Set<UInt64>()
        for _ in 0..<1000 {
            let x = generator.uniform(below: 6)
            #expect(x < 6)
            seen.insert(x)
        }
        #expect(seen.count == 6)
    }
}
