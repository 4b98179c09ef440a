// Shuffling, truncation, dropping and best-fit-decreasing packing.
import Testing
@testable import Data

@Suite struct SequencingTests {
    @Test func seededShuffleIsAPermutationFixedByTheSeed() {
        var a = Array(0..<50), b = Array(0..<50), c = Array(0..<50)
        a.seededShuffle(seed: 42)
        b.seededShuffle(seed: 42)
        c.seededShuffle(seed: 43)
        #expect(a == b)
        #expect(a != c)
        #expect(a.sorted() == Array(0..<50))
        #expect(a != Array(0..<50))
    }

    func example(_ n: Int) -> TokenizedExample {
        TokenizedExample(ids: (0..<Int32(n)).map { $0 + 10 }, trained: (0..<n).map { $0 >= n / 2 })
    }

    @Test func truncationCutsTheChosenSideAndDropRemoves() {
        let long = example(10)
        let right = LengthLimiter(maxLength: 4, side: .right).apply(long)
        #expect(right.overlong && right.example?.ids == [10, 11, 12, 13] && right.example?.trained == [false, false, false, false])
        let left = LengthLimiter(maxLength: 4, side: .left).apply(long)
        #expect(left.example?.ids == [16, 17, 18, 19] && left.example?.trained == [true, true, true, true])
        let dropped = LengthLimiter(maxLength: 4, policy: .drop).apply(long)
        #expect(dropped.overlong && dropped.example == nil)
        let fits = LengthLimiter(maxLength: 10, policy: .drop).apply(long)
        #expect(!fits.overlong && fits.example == long)
    }

    @Test func bestFitDecreasingFillsTheTightestRow() {
        // Capacity 10, longest first: 7 opens row 0 (room 3); 6 opens row 1 (room 4); 4 fills row 1;
        // 3 fills row 0; 2 opens row 2 (room 8); 1 joins row 2.
        let rows = Packing.bestFitDecreasing(lengths: [3, 7, 1, 6, 4, 2], capacity: 10)
        #expect(rows == [[1, 0], [3, 4], [5, 2]])
        for row in rows { #expect(row.map { [3, 7, 1, 6, 4, 2][$0] }.reduce(0, +) <= 10) }
        #expect(Packing.bestFitDecreasing(lengths: [5, 5, 5], capacity: 10) == [[0, 1], [2]])
    }
}
