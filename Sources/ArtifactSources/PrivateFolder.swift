import ArtifactFormats
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File system operations for the download cache, which must be a folder only the service's user can
/// change, and in which symbolic links are never followed.
///
/// A cache under /tmp is a shared place: another user could create the folder first, or plant a link
/// in it so that pruning deletes, or verification reads, something outside it. So the folder is made
/// 0700, refused when someone else owns it or could write to it, and walked with lstat(2) only.
enum PrivateFolder {
    /// Creates `path` (0700, parents as needed) when missing, then throws unless it is a real folder
    /// (not a link) owned by this process's user and not writable by group or others.
    static func ensure(_ path: String, purpose: String) throws(ArtifactError) {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else { throw ArtifactError(file: path, .unreadable("cannot inspect \(purpose): \(errorText(errno))")) }
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, parent != path {
                try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw ArtifactError(file: path, .unreadable("cannot create \(purpose): \(errorText(errno))"))
            }
            guard lstat(path, &info) == 0 else { throw ArtifactError(file: path, .unreadable("cannot inspect \(purpose): \(errorText(errno))")) }
        }
        try check(info, path: path, purpose: purpose)
    }

    /// Throws unless `info` (an lstat of `path`) is a folder of this user's that nobody else can write.
    static func check(_ info: stat, path: String, purpose: String) throws(ArtifactError) {
        let type = info.st_mode & S_IFMT
        guard type != S_IFLNK else {
            throw ArtifactError(file: path, .insecure("\(purpose) is a symbolic link; point models_cache_dir at a real folder"))
        }
        guard type == S_IFDIR else { throw ArtifactError(file: path, .insecure("\(purpose) is not a folder")) }
        guard info.st_uid == geteuid() else {
            throw ArtifactError(file: path, .insecure(
                "\(purpose) is owned by uid \(info.st_uid), not by this service's user (uid \(geteuid())); another user could "
                + "replace what it holds: remove it, or point models_cache_dir at a folder of the service's own"))
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o022 == 0 else {
            throw ArtifactError(file: path, .insecure(
                "\(purpose) is group- or world-writable (mode \(String(mode, radix: 8))); run chmod 700 on it, or point "
                + "models_cache_dir at a folder only the service's user can write"))
        }
    }

    /// The first symbolic link at or below `path`, nil when there is none (links are not followed).
    static func firstSymlink(under path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFLNK { return path }
        guard info.st_mode & S_IFMT == S_IFDIR else { return nil }
        for name in entries(of: path) {
            if let link = firstSymlink(under: path + "/" + name) { return link }
        }
        return nil
    }

    /// Removes `path` and, when it is a real folder, everything below it, never following a link: a
    /// link is removed itself, not what it points to.
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in entries(of: path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Whether `path` is a real folder (lstat: a link to a folder is not one).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether anything, a dangling link included, is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The names in folder `path` (without "." and ".."); empty when it cannot be read.
    static func entries(of path: String) -> [String] {
        // O_NOFOLLOW: `path` itself must not be a link swapped in after the caller's lstat.
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else {
            if fd >= 0 { close(fd) }
            return []
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    private static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
