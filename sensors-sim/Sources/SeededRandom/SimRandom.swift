#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The simulator's and the tests' deterministic PRNG (xoshiro256**, seeded through SplitMix64).
///
/// Why our own: results must be identical for a seed on every platform and Swift version,
/// which `SystemRandomNumberGenerator` and the standard library's distributions do not promise.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// An independent stream for a sub-entity (vehicle `index`, purpose `salt`), so that
    /// adding draws in one vehicle never shifts another vehicle's stream.
    public init(seed: UInt64, stream: UInt64, salt: UInt64 = 0) {
        var sm = SplitMix64(state: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ (salt &* 0xD1B5_4A32_D192_ED03))
        _ = sm.next()
        self.init(seed: sm.next())
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 bits.
    @inline(__always)
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    @inline(__always)
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * unit()
    }

    /// Uniform integer in lo...hi (bias negligible for the small ranges used here).
    @inline(__always)
    public mutating func int(_ lo: Int, _ hi: Int) -> Int {
        lo + Int(next() % UInt64(hi - lo + 1))
    }

    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// Standard normal by Box–Muller (one value per call; simplicity over speed).
    public mutating func normal() -> Double {
        var u = unit()
        if u < 1e-300 { u = 1e-300 }
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    public mutating func normal(_ mean: Double, _ sd: Double) -> Double {
        mean + sd * normal()
    }
}

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
