// Medians and spread over repeats: median, min–max, and the interquartile range once there are
// enough values for quartiles to mean something.

public enum Statistics {
    /// The median (mean of the two middle values for an even count); nil for no values.
    public static func median(_ values: [Double]) -> Double? {
        quantile(values, 0.5)
    }

    /// Linear-interpolation quantile (numpy's default, "type 7"); nil for no values.
    public static func quantile(_ values: [Double], _ q: Double) -> Double? {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}

/// One quantity over repeats.
public struct Spread: Codable, Equatable, Sendable {
    public var median: Double
    public var min: Double
    public var max: Double
    /// Interquartile range (q1, q3); only with at least 4 values.
    public var q1: Double?
    public var q3: Double?
    public var count: Int

    /// Nil when `values` has no finite value.
    public init?(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        guard let median = Statistics.median(finite) else { return nil }
        self.median = median
        self.min = finite.min()!
        self.max = finite.max()!
        self.count = finite.count
        if finite.count >= 4 {
            q1 = Statistics.quantile(finite, 0.25)
            q3 = Statistics.quantile(finite, 0.75)
        }
    }
}
