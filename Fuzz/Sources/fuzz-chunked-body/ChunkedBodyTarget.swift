import FuzzSupport
@testable import HTTPServer

/// Chunked request bodies (ChunkedBodyDecoder). Properties:
/// - the decoder's outcome, body and bytes consumed equal ``ReferenceChunkedDecoder``'s, a plain
///   one-pass reading of RFC 9112 §7.1 with the server's limits;
/// - the same whether the bytes arrive at once or in pieces;
/// - a finished body never consumes bytes past its end (a pipelined request that follows is left alone).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkedBody(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let expected = ReferenceChunkedDecoder(limits: limits).decode(input)

    var decoder = ChunkedBodyDecoder()
    var body: [UInt8] = []
    let (consumed, result) = decoder.decode(input, into: &body, limits: limits)
    let actual = Outcome(decoder: result, body: body, consumed: consumed)
    require(actual == expected, "decoder: \(actual); reference: \(expected)")

    var pieces = ChunkedBodyDecoder()
    var piecesBody: [UInt8] = []
    var offset = 0
    var piecesResult = ChunkedBodyDecoder.Result.needMore
    for length in pieceLengths(count: input.count, seed: seed(of: input)) {
        let (used, result) = pieces.decode(UnsafeBufferPointer(rebasing: input[offset..<(offset + length)]), into: &piecesBody, limits: limits)
        offset += used
        piecesResult = result
        if result != .needMore { break }
        require(used == length, "needMore after consuming \(used) of \(length) bytes")
    }
    let inPieces = Outcome(decoder: piecesResult, body: piecesBody, consumed: offset)
    require(inPieces == expected, "in pieces: \(inPieces); reference: \(expected)")
    return 0
}

private let limits = HTTPRequestHeadParser.Limits(maxRequestLine: 256, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 512)

/// What decoding led to. Bytes consumed are compared only where the server relies on them: for a
/// finished body (the next request starts there) and while more is needed (everything is taken).
struct Outcome: Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case needMore, done
        case failure(status: Int)
    }
    var kind: Kind
    var body: [UInt8]
    var consumed: Int

    init(_ kind: Kind, body: [UInt8], consumed: Int) {
        self.kind = kind
        self.body = body
        self.consumed = consumed
    }

    init(decoder result: ChunkedBodyDecoder.Result, body: [UInt8], consumed: Int) {
        switch result {
        case .needMore: self.init(.needMore, body: body, consumed: consumed)
        case .done: self.init(.done, body: body, consumed: consumed)
        case .failure(let error): self.init(.failure(status: error.status.code), body: [], consumed: 0)
        }
    }

    var description: String { "\(kind), \(body.count)-byte body, \(consumed) consumed" }
}
