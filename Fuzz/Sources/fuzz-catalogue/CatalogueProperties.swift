@testable import ArtifactFormats
import FuzzSupport

/// Checks `Catalogue(bytes:)` against the records the reference read from the same bytes.
func checkCatalogue(_ bytes: [UInt8], records: [ReferenceCSVReader.Record]) {
    let lines = records.filter { !$0.isBlank }
    let catalogue: Catalogue
    do {
        catalogue = try Catalogue(bytes: bytes, file: file)
    } catch {
        require(error.description.hasPrefix(file + ": "), "error \(error.description)")
        require(headerProblem(lines.first) != nil, "refused with a usable header: \(error.description); header \(cut(lines.first?.fields ?? []))")
        return
    }
    guard let header = lines.first else { return require(false, "a catalogue from a file without a header") }
    if let problem = headerProblem(header) { return require(false, "a catalogue with header \(cut(header.fields)): \(problem)") }
    let names = header.fields.map { trim($0).lowercased() }
    let data = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { ($0.line, $0) })

    // Every data line once, accepted or skipped.
    let reported = catalogue.items.compactMap(\.line) + catalogue.skipped.compactMap(\.line)
    require(catalogue.items.count + catalogue.skipped.count == data.count && reported.sorted() == data.keys.sorted(),
            "lines accepted \(cut(catalogue.items.map(\.line))) and skipped \(cut(catalogue.skipped.map(\.line))); data lines \(cut(data.keys.sorted()))")

    for skipped in catalogue.skipped {
        guard let line = skipped.line, let record = data[line] else { continue }
        if record.fields.count == names.count {
            require(skipped.column.map(names.contains) == true, "line \(line) skipped at column \(String(describing: skipped.column)): \(skipped.message)")
        } else {
            require(skipped.column == nil, "line \(line), \(record.fields.count) fields, skipped at column \(skipped.column ?? "")")
        }
        require(!skipped.message.isEmpty, "line \(line) skipped without a message")
    }

    var codes = Set<String>()
    for item in catalogue.items {
        guard let line = item.line, let record = data[line] else { continue }
        require(record.fields.count == names.count, "line \(line) accepted with \(record.fields.count) fields")
        func field(_ name: String) -> String? { names.firstIndex(of: name).map { trim(record.fields[$0]) } }
        require(item.stockcode == field("stockcode") && !item.stockcode.isEmpty && codes.insert(item.stockcode).inserted,
                "line \(line): stockcode \(item.stockcode.debugDescription)")
        let terms = item.terms
        for (name, value, lowest) in [("current_price", terms.currentPrice, false), ("unit_cost", terms.unitCost, true),
                                      ("floor", terms.floor, false), ("ceiling", terms.ceiling, false)] {
            let text = field(name) ?? ""
            guard let value else {
                require(text.isEmpty, "line \(line): \(name) \(text.debugDescription) read as nothing")
                continue
            }
            // The whole field is the number: printable ASCII only (no NUL that would end the C string early).
            require(text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } && Double(text) == value,
                    "line \(line): \(name) \(text.debugDescription) read as \(value)")
            require(value.isFinite && value <= 1_000_000 && (lowest ? value >= 0 : value > 0), "line \(line): \(name) \(value)")
        }
        if let floor = terms.floor, let ceiling = terms.ceiling { require(floor <= ceiling, "line \(line): floor \(floor) above ceiling \(ceiling)") }
    }
}

/// Why `header` cannot head a catalogue, or nil if it can.
func headerProblem(_ header: ReferenceCSVReader.Record?) -> String? {
    guard let header else { return "no header" }
    let names = header.fields.map { trim($0).lowercased() }
    if let unknown = names.first(where: { !Catalogue.columns.contains($0) }) { return "unknown column \(unknown.debugDescription)" }
    if Set(names).count != names.count { return "a column twice" }
    if !names.contains("stockcode") { return "no stockcode" }
    return nil
}

/// Without leading and trailing spaces and tabs, whole characters at a time as the service trims
/// (a space followed by a combining mark is one character, and not a space).
func trim(_ text: String) -> String {
    var characters = Substring(text)
    while let first = characters.first, first == " " || first == "\t" { characters.removeFirst() }
    while let last = characters.last, last == " " || last == "\t" { characters.removeLast() }
    return String(characters)
}
