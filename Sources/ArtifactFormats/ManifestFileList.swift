/// The part of manifest.json a download needs: which version it describes and the size and sha256 of
/// every file. Read before anything else is fetched, so every name is checked before it becomes a path.
package struct ManifestFileList: Sendable {
    package struct File: Sendable {
        package let name: String
        package let bytes: Int
        /// Lower-case hex.
        package let sha256: String
    }

    package let modelVersion: String
    /// Sorted by name.
    package let files: [File]

    /// Parses and checks manifest bytes; `file` names the manifest in errors.
    package init(bytes: [UInt8], file: String) throws(ArtifactError) {
        struct Head: Decodable {
            let formatVersion: Int
            let modelVersion: String
            let files: [String: Manifest.FileEntry]
        }
        let head = try decodeArtifactJSON(Head.self, from: bytes, file: file, context: "not a manifest")
        try Manifest.checkFormatVersion(head.formatVersion, file: file)
        var files: [File] = []
        for (name, entry) in head.files.sorted(by: { $0.key < $1.key }) {
            try ArtifactNames.checkFile(name, manifest: file)
            let digest = entry.sha256.lowercased()
            guard entry.bytes >= 0, digest.utf8.count == 64, digest.utf8.allSatisfy(Self.isHexDigit) else {
                throw ArtifactError(file: file, .malformed("entry for \(name) needs a size >= 0 and a 64-digit sha256"))
            }
            files.append(File(name: name, bytes: entry.bytes, sha256: digest))
        }
        self.modelVersion = head.modelVersion
        self.files = files
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
