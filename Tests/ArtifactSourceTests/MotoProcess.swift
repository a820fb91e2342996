import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A `moto_server` process on a free loopback port that cannot outlive the test process.
///
/// moto runs under a small watchdog whose stdin is a pipe from this process. When the pipe closes
/// (``stop()``, or this process ending any way at all: a filtered run whose class-level tearDown never
/// comes, a crash) the watchdog kills moto and reaps it. Without it, every such run left a moto server
/// behind. The watchdog is Python rather than `sh`: a process started here inherits this thread's
/// blocked signals, SIGCHLD among them, and a shell's `wait` then never returns; Python's waitpid does.
final class MotoProcess: Sendable {
    let port: Int
    let logPath: String
    private let watchdog: Process
    /// The write end of the watchdog's stdin: closing it ends moto.
    private let lifeline: FileHandle

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private init(port: Int, logPath: String, watchdog: Process, lifeline: FileHandle) {
        self.port = port
        self.logPath = logPath
        self.watchdog = watchdog
        self.lifeline = lifeline
    }

    /// Starts moto with auth enforced after `unauthenticatedActions` requests (moto's
    /// INITIAL_NO_AUTH_ACTION_COUNT), and waits until it accepts connections.
    static func start(unauthenticatedActions: Int, label: String) async throws -> MotoProcess {
        let executable = CommittedModels.repositoryRoot + "/.venv/bin/moto_server"
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw MotoServer.Failure(description: "moto_server is missing (\(executable)): run `make python-deps` to install the "
                + "Python environment with moto[server], which the S3 tests run against")
        }
        let port = try MotoServer.freePort()
        let logPath = NSTemporaryDirectory() + "\(label)-\(port).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        let stdin = Pipe()
        // Only the watchdog may hold the pipe open: not servers this process starts later.
        _ = fcntl(stdin.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: CommittedModels.repositoryRoot + "/.venv/bin/python3")
        watchdog.arguments = ["-c", watchdogScript, executable, "-H", "127.0.0.1", "-p", "\(port)"]
        var environment = ProcessInfo.processInfo.environment
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "\(unauthenticatedActions)"
        watchdog.environment = environment
        watchdog.standardInput = stdin
        watchdog.standardOutput = log
        watchdog.standardError = log
        try watchdog.run()
        try? stdin.fileHandleForReading.close()
        let moto = MotoProcess(port: port, logPath: logPath, watchdog: watchdog, lifeline: stdin.fileHandleForWriting)
        do {
            try await MotoServer.waitForPort(port, process: watchdog, logPath: logPath)
        } catch {
            moto.stop()
            throw error
        }
        return moto
    }

    /// Runs argv[1:] until stdin reaches end of file, then kills and reaps it; exits early, with its
    /// status, if it ends by itself (so start-up failures show).
    private static let watchdogScript = """
        import select, subprocess, sys
        child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
        while child.poll() is None:
            if select.select([sys.stdin], [], [], 0.2)[0] and not sys.stdin.buffer.read1(64):
                child.kill()
                child.wait()
                sys.exit(0)
        sys.exit(child.returncode or 1)
        """

    /// Ends moto (through its watchdog) and removes the log.
    func stop() {
        try? lifeline.close()
        watchdog.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
