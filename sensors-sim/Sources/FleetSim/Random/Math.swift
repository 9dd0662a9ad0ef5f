#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin aliases so the core reads as math and stays free of Foundation.
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { sin(x) }
@inline(__always) func _atan2(_ y: Double, _ x: Double) -> Double { atan2(y, x) }
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func _hypot(_ x: Double, _ y: Double) -> Double { (x * x + y * y).squareRoot() }

/// Sleeps for a short while; returns 0 on success (wraps usleep so callers need not import libc).
@discardableResult
func sleepMicroseconds(_ us: UInt32) -> Int32 { usleep(us) }
