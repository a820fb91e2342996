/// Checks on names that come from a remote store (LATEST's version, the manifest's file names) before
/// they become local paths: a name that climbs out of its folder could overwrite any file the service
/// can write.
package enum ArtifactNames {
    /// Throws unless `version` is one plain folder name. `file` names the source in the error.
    package static func checkVersion(_ version: String, file: String) throws(ArtifactError) {
        func bad(_ why: String) -> ArtifactError {
            ArtifactError(file: file, .malformed("\"\(version)\" is not a version name: \(why)"))
        }
        guard !version.isEmpty else { throw bad("it is empty") }
        guard version.utf8.count <= 200 else { throw bad("longer than 200 bytes") }
        guard version != ".", version != ".." else { throw bad("it would leave the models root") }
        // The cache keeps downloads in progress in hidden ".<version>.partial-…" folders; a hidden
        // version could be mistaken for one.
        guard !version.hasPrefix(".") else { throw bad("it starts with a dot") }
        guard !version.contains("/"), !version.contains("\\") else { throw bad("it contains a path separator") }
        guard !containsControlCharacter(version) else { throw bad("it contains control characters") }
    }

    /// Throws unless `name` is a relative path inside a version folder (subfolders allowed).
    package static func checkFile(_ name: String, manifest: String) throws(ArtifactError) {
        func bad(_ why: String) -> ArtifactError {
            ArtifactError(file: manifest, .malformed("file name \"\(name)\" \(why)"))
        }
        guard !name.isEmpty, name.utf8.count <= 1024 else { throw bad("is empty or too long") }
        guard !name.hasPrefix("/") else { throw bad("is an absolute path") }
        guard !name.contains("\\"), !containsControlCharacter(name) else {
            throw bad("contains a backslash or control characters")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw bad("escapes the version folder or has empty path components")
        }
        // manifest.json is written last, from the bytes that were verified; a listed file of that name
        // would be overwritten by it (or overwrite it).
        guard name != "manifest.json" else { throw bad("is the manifest itself") }
    }

    private static func containsControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }
}
