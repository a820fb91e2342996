/// Incremental decoder for a chunked request body (RFC 9112 §7.1), fed whatever bytes have arrived.
/// Chunk data is appended to the body as it arrives; the body limit is checked against each chunk
/// size as soon as the size line is read, so an oversized chunk is refused before its data comes.
/// Chunk extensions are skipped; trailer fields are read, size-checked and discarded.
struct ChunkedBodyDecoder {
    enum Result: Equatable {
        case needMore
        case done
        case failure(RequestError)
    }

    private enum State {
        case size, extensions, sizeLF, data, dataCR, dataLF, trailer, trailerLF, done
    }

    /// Longest chunk-size line (size plus extensions) accepted.
    static let maxSizeLineBytes = 4096

    private var state = State.size
    private var chunkSize = 0
    private var sizeDigits = 0
    private var lineBytes = 0
    private var remaining = 0
    private var trailerBytes = 0
    private var trailerCount = 0

    var isDone: Bool { state == .done }

    /// Decodes from `input`, appending chunk data to `body`. Returns how many bytes of `input` were
    /// consumed (never past the end of the body, so a pipelined request that follows is left alone).
    mutating func decode(
        _ input: UnsafeBufferPointer<UInt8>,
        into body: inout [UInt8],
        limits: HTTPRequestHeadParser.Limits
    ) -> (consumed: Int, result: Result) {
        var i = 0
        let count = input.count
        while i < count {
            switch state {
            case .size:
                let c = input[i]
                if let digit = ASCII.hexValue(c) {
                    sizeDigits += 1
                    chunkSize = chunkSize &* 16 &+ digit
                    if chunkSize > limits.maxBodyBytes - body.count {
                        return (i + 1, .failure(.contentTooLarge))
                    }
                    if sizeDigits > 16 {
                        return (i + 1, .failure(.badRequest("Invalid chunk size.")))
                    }
                } else if sizeDigits == 0 {
                    return (i + 1, .failure(.badRequest("Invalid chunk size.")))
                } else if c == ASCII.semicolon || ASCII.isWhitespace(c) {
                    state = .extensions
                } else if c == ASCII.cr {
                    state = .sizeLF
                } else if c == ASCII.lf {
                    // The line is over: nothing of it may count towards the next line (a trailer
                    // section that starts at one byte long never sees its empty line).
                    sizeLineComplete()
                    i += 1
                    continue
                } else {
                    return (i + 1, .failure(.badRequest("Invalid chunk size.")))
                }
                lineBytes += 1
                i += 1
            case .extensions:
                let c = input[i]
                if c == ASCII.cr {
                    state = .sizeLF
                } else if c == ASCII.lf {
                    sizeLineComplete()
                    i += 1
                    continue
                } else if !ASCII.isFieldValueChar(c) {
                    return (i + 1, .failure(.badRequest("Invalid character in a chunk extension.")))
                }
                lineBytes += 1
                if lineBytes > Self.maxSizeLineBytes {
                    return (i + 1, .failure(.badRequest("Chunk extensions are too long.")))
                }
                i += 1
            case .sizeLF:
                guard input[i] == ASCII.lf else { return (i + 1, .failure(.badRequest("Malformed chunk size line."))) }
                sizeLineComplete()
                i += 1
            case .data:
                let n = min(remaining, count - i)
                body.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + n)]))
                remaining -= n
                i += n
                if remaining == 0 { state = .dataCR }
            case .dataCR:
                let c = input[i]
                if c == ASCII.cr {
                    state = .dataLF
                } else if c == ASCII.lf {
                    state = .size
                } else {
                    return (i + 1, .failure(.badRequest("Chunk data is longer than its size.")))
                }
                i += 1
            case .dataLF:
                guard input[i] == ASCII.lf else {
                    return (i + 1, .failure(.badRequest("Chunk data is longer than its size.")))
                }
                state = .size
                i += 1
            case .trailer:
                let c = input[i]
                i += 1
                if c == ASCII.cr {
                    state = .trailerLF
                } else if c == ASCII.lf {
                    if let result = trailerLineComplete(limits) { return (i, result) }
                } else {
                    guard ASCII.isFieldValueChar(c) else {
                        return (i, .failure(.badRequest("Invalid character in a trailer field.")))
                    }
                    lineBytes += 1
                    trailerBytes += 1
                    if trailerBytes > limits.maxHeaderBytes {
                        return (i, .failure(.headersTooLarge("The trailer section is too large.")))
                    }
                }
            case .trailerLF:
                guard input[i] == ASCII.lf else { return (i + 1, .failure(.badRequest("Malformed trailer section."))) }
                i += 1
                state = .trailer
                if let result = trailerLineComplete(limits) { return (i, result) }
            case .done:
                return (i, .done)
            }
        }
        return (i, state == .done ? .done : .needMore)
    }

    private mutating func sizeLineComplete() {
        if chunkSize == 0 {
            state = .trailer
        } else {
            remaining = chunkSize
            state = .data
        }
        chunkSize = 0
        sizeDigits = 0
        lineBytes = 0
    }

    /// Handles the end of a trailer line: an empty one ends the body.
    private mutating func trailerLineComplete(_ limits: HTTPRequestHeadParser.Limits) -> Result? {
        if lineBytes == 0 {
            state = .done
            return .done
        }
        trailerCount += 1
        lineBytes = 0
        if trailerCount > limits.maxHeaderCount {
            return .failure(.headersTooLarge("The request has too many trailer fields."))
        }
        return nil
    }
}
