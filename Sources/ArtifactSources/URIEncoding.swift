/// Percent-encodes `text` the way AWS Signature Version 4 canonicalizes URIs: the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) stay, every other byte of the UTF-8 form becomes `%XX` with
/// upper-case hex.
///
/// The HTTP and S3 sources build request paths with it too, so the path sent is byte for byte the
/// path signed: S3 compares the two, and a mismatch is a `SignatureDoesNotMatch`.
/// - Parameter keepSlash: true for object keys and paths ("/" separates folders), false for query
///   names and values.
func awsPercentEncode(_ text: String, keepSlash: Bool) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(byte)
        case UInt8(ascii: "/") where keepSlash:
            out.append(byte)
        default:
            out.append(UInt8(ascii: "%"))
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
    }
    return String(decoding: out, as: UTF8.self)
}
