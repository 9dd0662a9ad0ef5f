/// Medians: of levels, of rates, of neighbour differences. One implementation for every detector.
enum Median {
    /// The middle value; the mean of the two middle ones for an even count. Not for an empty collection.
    static func of<C: Collection<Double>>(_ values: C) -> Double {
        let v = values.sorted()
        let m = v.count / 2
        return v.count % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2
    }

    /// The value with half the weight on either side; where a value ends exactly half the weight, the mean
    /// of it and the next (equal weights give `of`). Not for an empty array.
    static func weighted(_ values: [Double], weights: [Double]) -> Double {
        let order = values.indices.sorted { values[$0] < values[$1] }
        let total = weights.reduce(0, +)
        var sum = 0.0
        for (k, i) in order.enumerated() {
            sum += weights[i]
            if abs(sum - total / 2) <= 1e-9 * total, k + 1 < order.count { return (values[i] + values[order[k + 1]]) / 2 }
            if sum >= total / 2 { return values[i] }
        }
        return values[order.last!]
    }
}
