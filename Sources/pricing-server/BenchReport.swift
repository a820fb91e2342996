import Foundation

/// Rows of the benchmark table, printed for people and written as JSON for the comparison report.
struct BenchReport {
    struct Row: Codable {
        let stage: String
        let milliseconds: Double
        let gflops: Double?
    }
    private(set) var rows: [Row] = []
    private(set) var notes: [String] = []

    mutating func add(_ stage: String, seconds: Double, flops: Double? = nil) {
        rows.append(Row(stage: stage, milliseconds: seconds * 1000, gflops: flops.map { $0 / seconds / 1e9 }))
    }

    mutating func note(_ text: String) { notes.append(text) }

    func table() -> String {
        let width = (rows.map(\.stage.count).max() ?? 10) + 2
        var lines = notes
        lines.append("")
        lines.append("stage".padding(toLength: width, withPad: " ", startingAt: 0) + "   median ms   GFLOP/s")
        for r in rows {
            lines.append(r.stage.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "%12.4f", r.milliseconds) + (r.gflops.map { String(format: "%10.1f", $0) } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    func writeJSON(to path: String) throws {
        struct Document: Codable {
            let notes: [String]
            let rows: [Row]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Document(notes: notes, rows: rows)).write(to: URL(fileURLWithPath: path))
    }
}
