import Foundation

/// Sales files for the tests: a header and `lines` invoice lines in the UCI format, a few lines per
/// invoice, every product's price and quantity varying (so a checksum sees every column).
enum SalesFile {
    static let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

    static func csv(lines: Int, firstInvoice: Int = 536_365) -> String {
        var text = header
        text.reserveCapacity(lines * 90)
        for i in 0..<lines {
            let invoice = firstInvoice + i / 4
            let code = 20_000 + (i * 7_919) % 4_000
            let day = 1 + (i / 4) % 28
            text += "\(invoice),\(code),\"PRODUCT \(code), BLUE\",\(1 + i % 24),12/\(day)/2010 \(8 + i % 10):\(10 + i % 50),"
                + "\(Double(100 + i % 900) / 100),\(12_000 + i % 5_000).0,United Kingdom\n"
        }
        return text
    }

    /// A folder of its own under the temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
