#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks a property of a parser's result. A violated property aborts the process, which libFuzzer
/// treats like a crash: it saves the input (under `-artifact_prefix`) and stops. The `PROPERTY FAILURE`
/// line tells `make fuzz` it was a wrong answer, not a memory error.
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    guard !condition() else { return }
    let text = "PROPERTY FAILURE (\(file):\(line)): \(message())\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    abort()
}

/// The fuzzer's input as a buffer of exactly its size (no copy, so AddressSanitizer sees a read past
/// the end as one).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: size > 0 ? data : nil, count: size)
}
