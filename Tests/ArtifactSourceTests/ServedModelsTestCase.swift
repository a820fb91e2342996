import ArtifactSources
import Foundation
import TestSupport
import XCTest

/// The base of the remote-source tests: a copy of the committed models served by a real file server
/// on loopback, started before each test and stopped after it.
class ServedModelsTestCase: XCTestCase {
    var server: TestFileServer!
    /// The version the copy's LATEST names.
    var version = ""
    /// The served models root.
    var modelsRoot = ""

    override func setUp() async throws {
        let (root, version) = try copyOfCommittedModels(self)
        self.version = version
        self.modelsRoot = root
        server = try TestFileServer(root: root)
        let server = self.server!
        addTeardownBlock { await server.stop() }
    }
}
