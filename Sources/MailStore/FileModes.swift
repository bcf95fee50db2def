import Foundation

/// Creating files and directories that only the owner can read, whatever the umask.
enum FileModes {
    /// Creates `path` with mode 0600 if it does not exist. Returns whether it was created.
    /// An existing file keeps its mode (the admin may have chosen another one).
    /// A missing directory on the way is created with mode 0700 (a first run with
    /// `path = "/var/lib/mailgate/mailgate.sqlite"` needs no `mkdir` beforehand).
    static func createPrivateFile(_ path: String, action: String) throws(StoreError) -> Bool {
        var fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0, errno == ENOENT {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, parent != path {
                try createPrivateDirectory(parent, action: action)
                fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            }
        }
        if fd < 0 {
            let code = errno
            if code == EEXIST { return false }
            throw StoreError.posix(code, path: path, action: action)
        }
        defer { close(fd) }
        if fchmod(fd, 0o600) != 0 {
            throw StoreError.posix(errno, path: path, action: action)
        }
        return true
    }

    /// `chmod 0600` on the `-wal` and `-shm` files of a database when they are wider than
    /// the database itself would allow (SQLite copies the database's mode, but be sure).
    static func restrictSidecars(of path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        let mode = st.st_mode & 0o777
        for suffix in ["-wal", "-shm"] {
            var side = stat()
            if stat(path + suffix, &side) == 0, side.st_mode & 0o777 & ~mode != 0 {
                _ = chmod(path + suffix, mode)
            }
        }
    }

    /// Creates the directory with mode 0700 if missing (parents too, also 0700).
    static func createPrivateDirectory(_ path: String, action: String) throws(StoreError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw StoreError(kind: .cannotOpen, path: path, action: action, message: "exists and is not a directory")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, stat(parent, &st) != 0 {
            try createPrivateDirectory(parent, action: action)
        }
        if mkdir(path, 0o700) != 0 {
            let code = errno
            if code == EEXIST { return }
            throw StoreError.posix(code, path: path, action: action)
        }
        _ = chmod(path, 0o700)
    }
}
