import ArtifactFormats
public import Foundation

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
    ///
    /// Edits the index's text in place (each product's `"stockcode"` and `"description"` members)
    /// rather than parsing and re-serializing its 4000 products, which took seconds.
    public func plantFormulaDescriptions() throws -> [String: String] {
        let name = "features/products.json.gz"
        var json = try Gzip.decompress(try read(name), file: name)
        var planted: [String: String] = [:]
        var from = 0
        for sample in FormulaCells.samples {
            // The products come first in the index, so these searches stop within its first kilobytes.
            guard let code = Self.find(#""stockcode":""#, in: json, from: from),
                  let codeEnd = json[code...].firstIndex(of: UInt8(ascii: "\"")),
                  let description = Self.find(#""description":""#, in: json, from: codeEnd),
                  let descriptionEnd = Self.closingQuote(in: json, from: description) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: name])
            }
            planted[String(decoding: json[code..<codeEnd], as: UTF8.self)] = sample
            let escaped = Array(Self.jsonEscaped(sample).utf8)
            json.replaceSubrange(description..<descriptionEnd, with: escaped)
            from = description + escaped.count
        }
        try replaceSigned(name, Gzip.compress(json))
        return planted
    }

    /// The index just after the first occurrence of `pattern` at or after `from`.
    static func find(_ pattern: String, in bytes: [UInt8], from: Int) -> Int? {
        let needle = Array(pattern.utf8)
        guard bytes.count >= needle.count else { return nil }
        var i = from
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle { return i + needle.count }
            i += 1
        }
        return nil
    }

    /// The index of the quote that ends the JSON string whose text starts at `start`.
    static func closingQuote(in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
            if bytes[i] == UInt8(ascii: "\"") { return i }
            i += 1
        }
        return nil
    }

    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
