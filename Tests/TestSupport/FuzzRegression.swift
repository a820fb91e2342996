public import Foundation

/// Inputs the fuzz targets (Fuzz/) found, kept in Fuzz/regressions/<target>/ so that `make test-fuzz`
/// replays them under the fuzzer's properties and the unit tests through the parser they broke.
public enum FuzzRegression {
    /// The bytes of `Fuzz/regressions/<target>/<name>`.
    public static func input(_ target: String, _ name: String) throws -> [UInt8] {
        let path = CommittedModels.repositoryRoot + "/Fuzz/regressions/\(target)/\(name)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return [UInt8](data)
    }
}
