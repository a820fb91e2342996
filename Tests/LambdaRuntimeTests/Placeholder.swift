import XCTest

// Placeholder so the target builds until its tests land.
final class LambdaRuntimeTestsPlaceholder: XCTestCase {}
