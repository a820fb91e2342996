public import Foundation
import Storage

/// Text that a spreadsheet would run as a formula, planted in a model version's product descriptions
/// so the CSV tests see it arrive the way real descriptions do (from the transaction log, through the
/// feature store), and a reader of CSV files that is Python's own csv module, run as a process.
public enum FormulaCells {
    /// One cell per character that starts a formula: = + - @ TAB CR.
    public static let samples = [
        #"=HYPERLINK("http://x","y")"#, "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\tTAB start", "\rCR start",
    ]

    /// Every row of the CSV file at `path` as Python's `csv.reader` reads it (strings, header first).
    public static func readWithPython(_ path: String) throws -> [[String]] {
        let script = "import csv, json, sys\n"
            + "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
            + "    print(json.dumps(list(csv.reader(f))))\n"
        let result = try CommandResult.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, path])
        guard result.status == 0,
              let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String]] else {
            throw ServerProcess.Failure(description: "python3 could not read \(path): \(result.stderr)")
        }
        return rows
    }
}

extension ScratchVersion {
    /// Replaces the descriptions of the first `FormulaCells.samples.count` products of the feature
    /// store's index with the samples, re-signed; returns stockcode → planted description.
    public func plantFormulaDescriptions() throws -> [String: String] {
        let name = "features/products.json.gz"
        let json = try Gzip.decompress(try read(name), file: name)
        var index = try JSONSerialization.jsonObject(with: Data(json)) as! [String: Any]
        var products = index["products"] as! [[String: Any]]
        var planted: [String: String] = [:]
        for (i, sample) in FormulaCells.samples.enumerated() {
            products[i]["description"] = sample
            planted[products[i]["stockcode"] as! String] = sample
        }
        index["products"] = products
        try replaceSigned(name, Gzip.compress([UInt8](try JSONSerialization.data(withJSONObject: index))))
        return planted
    }
}
