/// Rows of a `COPY … FROM STDIN` in PostgreSQL's text format (tab between columns, `\N` for NULL,
/// backslash escapes), gathered in a buffer and sent 256 KiB at a time.
struct PostgresCopyWriter {
    private unowned let connection: PostgresConnection
    private var buffer: [UInt8] = []
    private var columns = 0
    private static let flushAt = 256 << 10

    init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(Self.flushAt + 4096)
    }

    private mutating func separate() {
        if columns > 0 { buffer.append(9) }
        columns += 1
    }

    /// A text column; the four bytes COPY treats specially are escaped.
    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        separate()
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
            case 9: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
            case 10: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
            case 13: buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
            default: buffer.append(byte)
            }
        }
    }

    /// A whole number in decimal.
    mutating func integer(_ value: Int64) {
        separate()
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { slots in
            repeat {
                slots[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(slots[index]) }
        }
    }

    /// A double as Swift prints it: the shortest text that reads back as exactly the same number,
    /// which PostgreSQL's `float8` input then reads exactly.
    mutating func double(_ value: Double) {
        separate()
        buffer.append(contentsOf: value.description.utf8)
    }

    mutating func null() {
        separate()
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "N"))
    }

    /// Ends the row, sending the buffer once it is full.
    mutating func endRow() throws(LedgerError) {
        buffer.append(10)
        columns = 0
        if buffer.count >= Self.flushAt { try flush() }
    }

    /// Sends what is buffered.
    mutating func flush() throws(LedgerError) {
        try buffer.withUnsafeBufferPointer { bytes throws(LedgerError) in try connection.putCopyData(bytes) }
        buffer.removeAll(keepingCapacity: true)
    }
}
