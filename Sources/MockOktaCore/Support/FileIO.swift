#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing whole files with the C library (Foundation's `FileHandle` is not in FoundationEssentials).
public enum FileIO {
    public enum ReadResult: Equatable {
        case bytes([UInt8])
        case missing
        case directory
        case unreadable
        /// Longer than the limit: not read past it.
        case tooLarge
    }

    /// The file's bytes, reading at most `limit` of them.
    public static func read(_ path: String, limit: Int) -> ReadResult {
        var st = stat()
        guard stat(path, &st) == 0 else { return errno == ENOENT ? .missing : .unreadable }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .directory }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .unreadable }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .unreadable
            }
            if n == 0 { break }
            out += chunk[0..<n]
        }
        return out.count > limit ? .tooLarge : .bytes(out)
    }

    /// Writes `bytes` to standard output (1) or standard error (2), all of them.
    public static func write(_ bytes: [UInt8], fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// Appends `text` to the file at `path` (created if missing); false when it cannot be written.
    public static func append(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// Writes `text` to standard output (1) or standard error (2).
    public static func write(_ text: String, fd: Int32) { write(Array(text.utf8), fd: fd) }
}
