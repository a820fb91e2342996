/// Why the ledger could not do what was asked; the message says what to do about it.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The submission cannot be read at all (no header, a missing or unknown column, an unknown
    /// format): nothing of it was added.
    case unreadable(String)
    /// The database cannot be opened or is of a newer schema than this binary knows.
    case unavailable(String)
    /// The database failed during an operation (disk full, locked for too long, I/O error); the
    /// operation's transaction was rolled back.
    case storage(String)
    /// An assignment that contradicts the one already recorded for its plan, product and week.
    case conflict(String)
    /// A value the ledger refuses (an assignment's probability outside (0, 1], an empty product).
    case invalid(String)

    public var description: String {
        switch self {
        case .unreadable(let why), .unavailable(let why), .storage(let why), .conflict(let why), .invalid(let why): why
        }
    }
}
