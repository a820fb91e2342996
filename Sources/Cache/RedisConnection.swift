internal import CHiredis
internal import Dispatch
import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A Redis reply, copied out of hiredis' `redisReply` (which is freed right away).
enum RedisValue: Sendable, Equatable {
    case string([UInt8])
    case null
    case integer(Int)
    case status(String)
    case error(String)
    case array([RedisValue])
}

/// Why a round trip failed (the connection is closed afterwards).
struct RedisFailure: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable { case connect, io, timeout, eof, protocolError, other }
    var kind: Kind
    var message: String
    var description: String { "\(kind): \(message)" }
}

/// One blocking hiredis connection, opened lazily and reopened after any failure. Its calls run on
/// the connection's own serial DispatchQueue, so a slow Redis blocks that queue's thread and never
/// a Swift concurrency thread. The pool hands a connection to one caller at a time; the mutex
/// around the `redisContext*` makes that exclusivity checked rather than assumed (it is never
/// contended), which is why this type is `Sendable` without `@unchecked`.
final class RedisConnection: Sendable {
    let endpoint: RedisEndpoint
    let connectTimeout: Duration
    let commandTimeout: Duration
    private let queue: DispatchQueue
    private let context = Mutex<UnsafeMutablePointer<redisContext>?>(nil)

    init(endpoint: RedisEndpoint, connectTimeout: Duration, commandTimeout: Duration, label: String) {
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        queue = DispatchQueue(label: label)
        _ = Self.ignoreSIGPIPE
    }

    deinit {
        context.withLock { c in
            if let open = c { redisFree(open) }
            c = nil
        }
    }

    /// Runs `commands` (pipelined) off the cooperative pool and returns one reply per command.
    func execute(_ commands: [[[UInt8]]]) async -> Result<[RedisValue], RedisFailure> {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.executeBlocking(commands))
            }
        }
    }

    /// Blocking: sends `commands` and reads their replies. A connection reused from an earlier call
    /// may have been closed by the server meanwhile (restart, idle timeout): when such a connection
    /// fails with anything but a timeout, the call is retried once on a fresh connection. GET and
    /// SET … PX are idempotent, so a retry is harmless.
    func executeBlocking(_ commands: [[[UInt8]]]) -> Result<[RedisValue], RedisFailure> {
        context.withLock { c -> Result<[RedisValue], RedisFailure> in
            let reused = c != nil
            let result = attempt(commands, on: &c)
            if reused, case .failure(let failure) = result, failure.kind != .timeout {
                return attempt(commands, on: &c)
            }
            return result
        }
    }

    /// One round trip on `c`, opened first if it is nil; closed (set to nil) if the round trip fails.
    private func attempt(_ commands: [[[UInt8]]], on c: inout UnsafeMutablePointer<redisContext>?) -> Result<[RedisValue], RedisFailure> {
        if c == nil {
            switch connect() {
            case .success(let opened): c = opened
            case .failure(let failure): return .failure(failure)
            }
        }
        let result = Self.roundTrip(c!, commands)
        if case .failure = result {
            redisFree(c!)
            c = nil
        }
        return result
    }

    // MARK: - hiredis

    private func connect() -> Result<UnsafeMutablePointer<redisContext>, RedisFailure> {
        guard let c = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.makeTimeval(connectTimeout)) else {
            return .failure(RedisFailure(kind: .connect, message: "cannot allocate redis context"))
        }
        if c.pointee.err != 0 {
            let failure = RedisFailure(kind: .connect, message: Self.errorString(c))
            redisFree(c)
            return .failure(failure)
        }
        if redisSetTimeout(c, Self.makeTimeval(commandTimeout)) != REDIS_OK {
            let failure = RedisFailure(kind: .connect, message: "cannot set command timeout: \(Self.errorString(c))")
            redisFree(c)
            return .failure(failure)
        }
        var setup: [[[UInt8]]] = []
        if let password = endpoint.password {
            setup.append([Array("AUTH".utf8)] + (endpoint.username.map { [Array($0.utf8)] } ?? []) + [Array(password.utf8)])
        }
        if endpoint.database != 0 {
            setup.append([Array("SELECT".utf8), Array(String(endpoint.database).utf8)])
        }
        if !setup.isEmpty {
            let result = Self.roundTrip(c, setup)
            var problem: String?
            switch result {
            case .failure(let failure): problem = failure.message
            case .success(let replies):
                for case .error(let message) in replies { problem = message }
            }
            if let problem {
                redisFree(c)
                return .failure(RedisFailure(kind: .connect, message: "connection setup (AUTH/SELECT) failed: \(problem)"))
            }
        }
        return .success(c)
    }

    private static func roundTrip(_ c: UnsafeMutablePointer<redisContext>, _ commands: [[[UInt8]]]) -> Result<[RedisValue], RedisFailure> {
        for command in commands {
            let appended = withArgv(command) { argc, argv, lengths in
                redisAppendCommandArgv(c, argc, argv, lengths)
            }
            if appended != REDIS_OK { return .failure(failure(c)) }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            errno = 0
            let status = redisGetReply(c, &raw)
            guard status == REDIS_OK, let raw else { return .failure(failure(c)) }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            replies.append(value(of: reply))
            freeReplyObject(raw)
        }
        return .success(replies)
    }

    /// Calls `body` with argc/argv/argvlen pointing straight at the arguments' bytes (binary-safe:
    /// lengths are explicit, nothing is formatted).
    private static func withArgv<R>(
        _ args: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        pointers.reserveCapacity(args.count)
        lengths.reserveCapacity(args.count)
        func step(_ i: Int) -> R {
            if i == args.count {
                return pointers.withUnsafeMutableBufferPointer { p in
                    lengths.withUnsafeBufferPointer { l in body(Int32(args.count), p.baseAddress!, l.baseAddress!) }
                }
            }
            // An empty array may have no storage: point at a real (unused) byte instead of NULL.
            let bytes = args[i].isEmpty ? [0] : args[i]
            return bytes.withUnsafeBufferPointer { buffer in
                pointers.append(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
                lengths.append(args[i].count)
                return step(i + 1)
            }
        }
        return step(0)
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            guard let str = r.str, r.len > 0 else { return .string([]) }
            return .string(Array(UnsafeRawBufferPointer(start: str, count: r.len)))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_INTEGER:
            return .integer(Int(r.integer))
        case REDIS_REPLY_STATUS:
            return .status(text(r.str, r.len))
        case REDIS_REPLY_ERROR:
            return .error(text(r.str, r.len))
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element else { return .array([]) }
            return .array((0..<r.elements).map { i in elements[i].map(value(of:)) ?? .null })
        default:
            return .error("unknown reply type \(r.type)")
        }
    }

    private static func text(_ str: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
        guard let str, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: length), as: UTF8.self)
    }

    private static func failure(_ c: UnsafeMutablePointer<redisContext>) -> RedisFailure {
        let saved = errno
        let message = errorString(c)
        switch c.pointee.err {
        case REDIS_ERR_EOF:
            return RedisFailure(kind: .eof, message: message)
        case REDIS_ERR_PROTOCOL:
            return RedisFailure(kind: .protocolError, message: message)
        case REDIS_ERR_IO:
            // hiredis reports a read/write that hit SO_RCVTIMEO/SO_SNDTIMEO as an I/O error (EAGAIN).
            let timedOut = saved == EAGAIN || saved == EWOULDBLOCK || message.contains("temporarily unavailable")
            return RedisFailure(kind: timedOut ? .timeout : .io, message: timedOut ? "command timed out" : message)
        default:
            return RedisFailure(kind: .other, message: message)
        }
    }

    private static func errorString(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func makeTimeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, attoseconds / 1_000_000_000_000)
        return timeval(tv_sec: .init(max(0, seconds)), tv_usec: .init(micros))
    }

    /// hiredis writes with write(2): a write to a socket the server has reset raises SIGPIPE, whose
    /// default action kills the process. Ignore it (only if nobody installed a handler) so a dying
    /// Redis shows up as an EPIPE error instead.
    private static let ignoreSIGPIPE: Void = {
        #if os(Linux)
        var current = sigaction()
        if sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {
            signal(SIGPIPE, SIG_IGN)
        }
        #else
        signal(SIGPIPE, SIG_IGN)
        #endif
    }()
}
