import Foundation
import TestSupport
import XCTest

struct DashboardTestFailure: Error, CustomStringConvertible {
    var description: String
}

/// Headless Chromium run as a command: load a page, let its script run (virtual time, which also
/// waits for the page's fetches), then dump the DOM or take a screenshot.
struct Chromium {
    let path: String

    struct Load {
        /// The serialized DOM after the scripts ran.
        var dom: String
        /// Console messages other than failed resource loads (the page logs nothing itself), and
        /// Content-Security-Policy refusals.
        var consoleProblems: [String]
    }

    /// Chromium at $CHROMIUM when set, else the Debian package's binary; a clear failure when it is missing.
    static func locate() throws -> Chromium {
        let environment = ProcessInfo.processInfo.environment
        let candidates = environment["CHROMIUM"].map { [$0] } ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DashboardTestFailure(description: """
                Chromium is not installed, and the dashboard tests need a headless browser: \
                install it with `apt-get install chromium` (`make test` does), or set CHROMIUM to its path. \
                Looked for: \(candidates.joined(separator: ", "))
                """)
        }
        return Chromium(path: path)
    }

    /// The page's DOM once its script settled (`#app[data-state]` is `done` or `error`): virtual time
    /// first, then once more with a larger budget if the machine was too slow.
    func dumpDOM(_ url: String) throws -> Load {
        var last = Load(dom: "", consoleProblems: [])
        for budget in [15_000, 45_000] {
            let (stdout, stderr) = try run(["--virtual-time-budget=\(budget)", "--dump-dom", url])
            last = Load(dom: stdout, consoleProblems: Self.consoleProblems(stderr))
            let state = DOM(stdout).attribute("data-state", of: "app")
            if state == "done" || state == "error" { return last }
        }
        return last
    }

    /// A PNG of the page at the given window size once its script settled.
    func screenshot(_ url: String, width: Int, height: Int) throws -> Data {
        let file = NSTemporaryDirectory() + "dashboard-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try run(["--virtual-time-budget=15000", "--window-size=\(width),\(height)", "--screenshot=\(file)", url])
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DashboardTestFailure(description: "Chromium wrote no screenshot for \(url)")
        }
        return data
    }

    /// Runs Chromium with a fresh profile and no background traffic; stdout and stderr go to files.
    func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> (stdout: String, stderr: String) {
        let scratch = NSTemporaryDirectory() + "dashboard-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
            "--mute-audio", "--hide-scrollbars", "--run-all-compositor-stages-before-draw",
            "--user-data-dir=\(scratch)/profile", "--enable-logging=stderr", "--v=0",
        ] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw DashboardTestFailure(description: "Chromium did not finish within \(Int(timeout)) s: \(arguments)")
        }
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw DashboardTestFailure(description: "Chromium exited with \(process.terminationStatus): \(stderr.suffix(2000))")
        }
        return (stdout, stderr)
    }

    static func consoleProblems(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { line in
            (line.contains(":CONSOLE") && !line.contains("Failed to load resource"))
                || line.contains("Content Security Policy") || line.contains("Refused to")
        }
    }
}

/// Just enough reading of a serialized DOM to find elements by id.
struct DOM {
    let html: String

    init(_ html: String) { self.html = html }

    /// The start tag of the element with this id.
    func startTag(id: String) -> String? {
        let pattern = #"<[a-zA-Z][a-zA-Z0-9-]*\b[^>]*\sid=""# + NSRegularExpression.escapedPattern(for: id) + #""[^>]*>"#
        return html.range(of: pattern, options: .regularExpression).map { String(html[$0]) }
    }

    /// An attribute of the element with this id ("" for a boolean attribute), decoded.
    func attribute(_ name: String, of id: String) -> String? {
        guard let tag = startTag(id: id) else { return nil }
        let pattern = #"\s"# + NSRegularExpression.escapedPattern(for: name) + #"(?:="([^"]*)")?(?=[\s/>])"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) else { return nil }
        guard let value = Range(match.range(at: 1), in: tag) else { return "" }
        return Self.decode(String(tag[value]))
    }

    /// The text of the element with this id, up to its first child tag, decoded and trimmed.
    func text(of id: String) -> String? {
        guard let tag = startTag(id: id), let range = html.range(of: tag) else { return nil }
        let rest = html[range.upperBound...]
        let text = rest.prefix { $0 != "<" }
        return Self.decode(String(text)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{00A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
