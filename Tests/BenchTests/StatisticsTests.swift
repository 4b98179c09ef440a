// Medians and spread over repeats, against numpy's defaults (`np.median`, `np.quantile(..., 0.25)`).
import Bench
import Testing

@Suite struct StatisticsTests {
    @Test func medianAndQuantilesMatchNumpy() {
        // np.median([3, 1, 10, 2, 4]) = 3; np.quantile(..., [.25, .75]) = [2, 4]
        let five = Spread([3, 1, 10, 2, 4])!
        #expect(five.median == 3 && five.min == 1 && five.max == 10 && five.count == 5)
        #expect(five.q1 == 2 && five.q3 == 4)
        // np.quantile([1, 2, 3, 4], [.25, .5, .75]) = [1.75, 2.5, 3.25]
        let four = Spread([4, 1, 3, 2])!
        #expect(four.median == 2.5 && four.q1 == 1.75 && four.q3 == 3.25)
    }

    @Test func fewValuesHaveNoIQRAndNonFiniteOnesAreDropped() {
        let three = Spread([10, .nan, 30, 20])!
        #expect(three.median == 20 && three.count == 3 && three.q1 == nil && three.q3 == nil)
        #expect(Spread([]) == nil)
        #expect(Spread([.infinity]) == nil)
        #expect(Statistics.median([5, 1]) == 3)
    }
}
