#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The C library's functions, which NumPy's scalar paths also end up agreeing with to the last bit
// for the values this service sees; kept in one place so every model of this module uses the same ones.
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) func libmTanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
