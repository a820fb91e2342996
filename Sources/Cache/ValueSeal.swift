internal import Crypto
// DataProtocol conformances of the byte buffers HMAC reads.
internal import Foundation

/// Signs the values a `RedisCache` writes and verifies them when they come back, so that whoever can
/// write to a shared Redis cannot choose what the replicas serve: a value counts only if it carries an
/// HMAC-SHA256, under the deployment's secret, over the format version, the Redis key it is stored
/// under and the value itself. Binding the key means a genuine value copied to another key (another
/// product, another query, another model version) is refused too.
///
/// Stored layout: `version (1 byte) | HMAC-SHA256 tag (32 bytes) | value`. The tag covers
/// `version | key length (u32 little-endian) | key | value`; the length keeps (key, value) pairs
/// unambiguous.
///
/// Values that never leave the process (the in-process cache) are not sealed: nobody else can write
/// them, so a MAC there would only cost time.
public struct ValueSeal: Sendable {
    /// Bumped when the layout changes; a value of another version is refused, never guessed at.
    static let version: UInt8 = 1
    static let tagBytes = 32
    /// Bytes a sealed value adds to the value.
    static let overhead = 1 + tagBytes
    /// The shortest secret accepted: 32 bytes, HMAC-SHA256's own strength.
    public static let minimumSecretBytes = 32

    /// The key bytes. Kept as an array and turned into a `SymmetricKey` per use, because
    /// `SymmetricKey` is not `Sendable` in swift-crypto 3.
    private let secret: [UInt8]
    /// True when the secret was drawn at random by this process: values then cannot be shared.
    public let isEphemeral: Bool

    /// A seal under a configured secret (e.g. `CACHE_SECRET`), shared by all replicas.
    public init(secret: [UInt8]) throws(RedisCacheError) {
        guard secret.count >= Self.minimumSecretBytes else {
            throw .invalidConfiguration("the cache secret has \(secret.count) bytes, at least \(Self.minimumSecretBytes) are needed "
                + "(generate one with: openssl rand -base64 48)")
        }
        self.secret = secret
        isEphemeral = false
    }

    /// A seal under a random secret known to this process only: safe, but no other replica can read
    /// what this one stores (and this one cannot read theirs).
    public static func ephemeral() -> ValueSeal {
        var generator = SystemRandomNumberGenerator()
        return ValueSeal(randomSecret: (0..<Self.minimumSecretBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private init(randomSecret: [UInt8]) {
        secret = randomSecret
        isEphemeral = true
    }

    /// `value` framed and signed for storage under `key` (the full Redis key, prefix included).
    func seal(_ value: [UInt8], key: [UInt8]) -> [UInt8] {
        let tag = Self.tag(secret: secret, key: key, value: value[...])
        var out: [UInt8] = []
        out.reserveCapacity(Self.overhead + value.count)
        out.append(Self.version)
        tag.withUnsafeBytes { out.append(contentsOf: $0) }
        out.append(contentsOf: value)
        return out
    }

    /// The value inside `stored` if it was sealed for `key` under this secret, else nil (foreign,
    /// forged, moved from another key, signed with another secret, or of another format version).
    /// Reuses `stored`'s storage for the result when the caller holds no other reference to it.
    func open(_ stored: consuming [UInt8], key: [UInt8]) -> [UInt8]? {
        guard stored.count >= Self.overhead, stored[0] == Self.version else { return nil }
        let tag = Self.tag(secret: secret, key: key, value: stored[Self.overhead...])
        // Constant-time comparison (swift-crypto's MAC ==), so timing does not reveal a near miss.
        guard tag == stored[1..<Self.overhead] else { return nil }
        stored.removeSubrange(0..<Self.overhead)
        return stored
    }

    private static func tag(secret: [UInt8], key: [UInt8], value: ArraySlice<UInt8>) -> HMAC<SHA256>.MAC {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        withUnsafeBytes(of: version) { mac.update(data: $0) }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: key.count).littleEndian) { mac.update(data: $0) }
        mac.update(data: key)
        mac.update(data: value)
        return mac.finalize()
    }
}
