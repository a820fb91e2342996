import Ledger
import XCTest

/// The sales reader on its own: what it accepts (quoted CSV, NDJSON, both date formats, a spreadsheet's
/// `.0`), and each bad line reported with its line and field while the good ones are kept.
final class SalesReaderTests: XCTestCase {
    struct Read {
        var lines: [[String]] = []
        var counts = SalesReader.Counts()
    }

    func read(_ text: String, _ format: SalesFormat) throws -> Read {
        var result = Read()
        var reader = SalesReader(maxErrors: 10)
        let bytes = Array(text.utf8)
        result.counts = try bytes.withUnsafeBufferPointer { buffer throws(LedgerError) in
            try reader.read(buffer, format: format) { (sale: borrowing SaleLine) in
                result.lines.append(SalesColumn.allCases.map { column -> String in
                    switch column {
                    case .quantity: "\(sale.quantity)"
                    case .unitPrice: "\(sale.unitPrice)"
                    case .customerID: sale.customerID.map { "\($0)" } ?? "-"
                    default: sale.string(column)
                    }
                } + ["#\(sale.occurrence)"])
            }
        }
        return result
    }

    func testCSVLinesAreNormalisedAndBadOnesReportedWithLineAndField() throws {
        let text = #"""
            invoiceno, StockCode ,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
            536365.0,85123A,"WHITE HEART, ""LARGE""",6,12/1/2010 8:26,2.55,17850.0,United Kingdom
            536365,85123A,WHITE HEART,6,2010-12-01T08:26:30,2.55,,United Kingdom

            536366,22633,HAND WARMER,x,12/1/2010 8:28,1.85,,United Kingdom
            536367,22633,HAND WARMER,6,13/1/2010 8:28,1.85,,United Kingdom
            536368,22633,HAND WARMER,6
            536369,22633,HAND "WARMER",6,12/1/2010 8:28,1.85,,United Kingdom
            536370,,HAND WARMER,6,12/1/2010 8:28,1.85,,United Kingdom
            536371,22633,HAND WARMER,1.5,12/1/2010 8:28,1.85,,United Kingdom
            536372,22633,"HAND
            WARMER",2,2/29/2012 23:59,0.5,12,France
            """#
        let read = try read(text, .csv)
        XCTAssertEqual(read.lines, [
            ["536365", "85123A", "WHITE HEART, \"LARGE\"", "6", "2010-12-01 08:26:00", "2.55", "17850", "United Kingdom", "#1"],
            ["536365", "85123A", "WHITE HEART", "6", "2010-12-01 08:26:30", "2.55", "-", "United Kingdom", "#2"],
            ["536372", "22633", "HAND\nWARMER", "2", "2012-02-29 23:59:00", "0.5", "12", "France", "#1"],
        ])
        XCTAssertEqual(read.counts.lines, 9)
        XCTAssertEqual(read.counts.rejected, 6)
        XCTAssertEqual(read.counts.errors.map(\.line), [5, 6, 7, 8, 9, 10])
        XCTAssertEqual(read.counts.errors.map(\.field), ["Quantity", "InvoiceDate", nil, nil, "StockCode", "Quantity"])
        XCTAssertEqual(read.counts.errors[0].message, "\"x\" is not a number")
        XCTAssertTrue(read.counts.errors[1].message.contains("not a date"), read.counts.errors[1].message)
        XCTAssertEqual(read.counts.errors[2].message, "4 fields, the header has 8")
        XCTAssertTrue(read.counts.errors[3].message.contains("quote inside an unquoted field"))
        XCTAssertEqual(read.counts.errors[4].message, "value is empty")
        XCTAssertEqual(read.counts.errors[5].message, "\"1.5\" is not a whole number")
    }

    func testAHeaderThatIsNotTheSalesSchemaRefusesTheWholeFile() {
        for (text, expected) in [
            ("", "empty"),
            ("InvoiceNo,StockCode,Quantity,InvoiceDate\n1,A,1,2011-01-01 10:00\n", "lacks UnitPrice"),
            ("InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,Colour\n", "unknown column \"Colour\""),
            ("InvoiceNo,InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n", "InvoiceNo appears twice"),
        ] {
            XCTAssertThrowsError(try read(text, .csv), text) { error in
                guard case .unreadable(let why) = error as? LedgerError else { return XCTFail("\(error)") }
                XCTAssertTrue(why.contains(expected), why)
            }
        }
    }

    func testNDJSONLinesWithTheSameFieldsAndBadLinesReported() throws {
        let text = """
            {"InvoiceNo":"C536379","StockCode":"D","Description":"Disc\\u00f6unt","Quantity":-1,"InvoiceDate":"2010-12-01 09:41","UnitPrice":27.5,"CustomerID":14527,"Country":"United Kingdom"}
            {"InvoiceNo":536380,"StockCode":"22961","Quantity":"24","InvoiceDate":"12/1/2010 9:41","UnitPrice":"1.45","CustomerID":null}

            {"InvoiceNo":"536381","StockCode":"22961","Quantity":24,"InvoiceDate":"12/1/2010 9:41"}
            {"InvoiceNo":"536381","StockCode":"22961","Quantity":24,"InvoiceDate":"12/1/2010 9:41","UnitPrice":1,"Colour":"red"}
            {"InvoiceNo":"536381","StockCode":["22961"],"Quantity":24,"InvoiceDate":"12/1/2010 9:41","UnitPrice":1}
            not json
            {"InvoiceNo":"536381","StockCode":"22961","Quantity":24,"InvoiceDate":"12/1/2010 9:41","UnitPrice":1} trailing
            """
        let read = try read(text, .ndjson)
        XCTAssertEqual(read.lines, [
            ["C536379", "D", "Discöunt", "-1", "2010-12-01 09:41:00", "27.5", "14527", "United Kingdom", "#1"],
            ["536380", "22961", "", "24", "2010-12-01 09:41:00", "1.45", "-", "", "#1"],
        ])
        XCTAssertEqual(read.counts.rejected, 5)
        XCTAssertEqual(read.counts.errors.map(\.line), [4, 5, 6, 7, 8])
        XCTAssertEqual(read.counts.errors.map(\.field), ["UnitPrice", "Colour", "StockCode", nil, nil])
        XCTAssertEqual(read.counts.errors[0].message, "value is missing")
        XCTAssertTrue(read.counts.errors[3].message.hasPrefix("not a JSON object"), read.counts.errors[3].message)
        // A body without a single object line is not NDJSON sales: unreadable (400 over HTTP), as a CSV without its header.
        for body in ["not json\n[1]\n", "\"a string\"", "1"] {
            XCTAssertThrowsError(try self.read(body, .ndjson), body) { error in
                XCTAssertTrue("\(error)".contains("no line is a JSON object"), "\(body): \(error)")
            }
        }
    }

    func testTheFormatIsTakenFromTheNameOrTheFirstByte() {
        XCTAssertEqual(SalesFormat(fileName: "week-12.CSV"), .csv)
        XCTAssertEqual(SalesFormat(fileName: "week-12.jsonl"), .ndjson)
        XCTAssertNil(SalesFormat(fileName: "week-12.txt"))
        XCTAssertEqual(Array("\n  {\"InvoiceNo\":1}".utf8).withUnsafeBufferPointer(SalesFormat.sniff), .ndjson)
        XCTAssertEqual(Array("InvoiceNo,StockCode".utf8).withUnsafeBufferPointer(SalesFormat.sniff), .csv)
    }
}
