public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server: `initdb` into a temporary folder, `postgres` on a free loopback port
/// (no fsync: the tests check transactions, not the disk), stopped and deleted by ``stop()``. Start one
/// per test class and give each test a database of its own (``createDatabase(_:)``).
///
/// `initdb` and `postgres` refuse to run as root: as root, both run as the `postgres` user (Debian's
/// server package creates it) in a folder it owns; without such a user, ``start()`` throws
/// ``Unavailable`` and the tests skip, saying so.
public final class PostgresServerHarness: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let port: Int
    public let directory: URL
    private let binaries: URL
    /// The command prefix that runs a program as the server's user (empty when we are not root).
    private let runAs: [String]
    private let process = Mutex<Process?>(nil)

    /// Initialises a cluster and starts its server, waiting until it accepts connections.
    public static func start() throws -> PostgresServerHarness {
        let harness = try PostgresServerHarness()
        do {
            try harness.initialise()
            try harness.launch()
        } catch {
            harness.stop()
            throw error
        }
        return harness
    }

    private init() throws {
        guard let binaries = Self.serverBinaries() else {
            throw Unavailable(description: "no PostgreSQL server binaries (initdb, postgres: apt-get install postgresql, or set PG_BIN)")
        }
        self.binaries = binaries
        port = try RedisServerHarness.freePort()
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postgres-harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if geteuid() == 0 {
            guard let user = getpwnam("postgres") else {
                try? FileManager.default.removeItem(at: directory)
                throw Unavailable(description: "running as root and there is no `postgres` user to run initdb and postgres as "
                                  + "(they refuse root); create one or run the tests as another user")
            }
            try FileManager.default.setAttributes([.ownerAccountID: Int(user.pointee.pw_uid), .groupOwnerAccountID: Int(user.pointee.pw_gid)],
                                                  ofItemAtPath: directory.path)
            runAs = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        } else {
            runAs = []
        }
    }

    /// `postgres://postgres@127.0.0.1:port/database`.
    public func url(database: String = "postgres") -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// Creates an empty database (through `psql`) and returns its URL.
    public func createDatabase(_ name: String) throws -> String {
        _ = try sql("CREATE DATABASE \"\(name)\"")
        return url(database: name)
    }

    /// Runs `statement` with `psql` on `database` and returns its unaligned output.
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        let psql = binaries.appendingPathComponent("psql")
        let executable = FileManager.default.isExecutableFile(atPath: psql.path) ? psql : URL(fileURLWithPath: "/usr/bin/psql")
        let result = try CommandResult.run(executable, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url(database: database),
                                                        "-c", statement])
        guard result.status == 0 else { throw Unavailable(description: "psql \(statement): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server at once (SIGQUIT: an immediate shutdown, its backends too) and deletes its folder.
    public func stop() {
        if let p = process.withLock({ p -> Process? in defer { p = nil }; return p }) {
            kill(p.processIdentifier, SIGQUIT)
            let deadline = Date().addingTimeInterval(5)
            while p.isRunning, Date() < deadline { usleep(10_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Starting

    /// A cluster in `data`: a copy of one made by `initdb` once per machine and server version (initdb
    /// takes seconds on a busy machine, a copy a fraction of one), kept in the temporary folder.
    private func initialise() throws {
        let template = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("postgres-harness-template-\(binaries.deletingLastPathComponent().lastPathComponent)-\(geteuid())")
        if !FileManager.default.fileExists(atPath: template.appendingPathComponent("PG_VERSION").path) {
            let fresh = directory.appendingPathComponent("template")
            try run(binaries.appendingPathComponent("initdb").path,
                    ["-D", fresh.path, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
            // Another test process may have made one meanwhile: then its copy is used and this one dropped.
            if rename(fresh.path, template.path) != 0 { try? FileManager.default.removeItem(at: fresh) }
        }
        try run("/bin/cp", ["-R", "-p", template.path, directory.appendingPathComponent("data").path])
    }

    /// Runs a program as the server's user, to completion.
    private func run(_ program: String, _ arguments: [String]) throws {
        let result = try CommandResult.run(URL(fileURLWithPath: runAs.first ?? program),
                                           Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [program]) + arguments)
        guard result.status == 0 else {
            throw Unavailable(description: "\(program) failed (\(result.status)): \(result.stderr.suffix(2000))")
        }
    }

    private func launch() throws {
        let server = binaries.appendingPathComponent("postgres").path
        let arguments = ["-D", directory.appendingPathComponent("data").path, "-p", String(port), "-k", directory.path,
                         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                         "-c", "full_page_writes=off", "-c", "max_connections=40", "-c", "shared_buffers=32MB"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: runAs.first ?? server)
        p.arguments = Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [server]) + arguments
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process.withLock { $0 = p }
        let ready = binaries.appendingPathComponent("pg_isready")
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            guard p.isRunning else { break }
            if let check = try? CommandResult.run(ready, ["-q", "-h", "127.0.0.1", "-p", String(port)]), check.status == 0 { return }
            usleep(30_000)
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw Unavailable(description: "postgres on port \(port) did not start: \(text.suffix(2000))")
    }

    /// The folder of `initdb` and `postgres`: PG_BIN, else the newest /usr/lib/postgresql/N/bin, else PATH.
    private static func serverBinaries() -> URL? {
        func usable(_ folder: URL) -> Bool {
            FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("initdb").path)
                && FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("postgres").path)
        }
        if let configured = ProcessInfo.processInfo.environment["PG_BIN"] {
            return usable(URL(fileURLWithPath: configured)) ? URL(fileURLWithPath: configured) : nil
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let folder = URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
            if usable(folder) { return folder }
        }
        return RedisServerHarness.findExecutable("initdb").map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            .flatMap { usable($0) ? $0 : nil }
    }
}
