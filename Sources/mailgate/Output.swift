#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics go to standard error so standard output stays machine-readable.
func printError(_ message: String) {
    var line = message
    line.append("\n")
    fputs(line, stderr)
}

/// True when standard output is a terminal (progress lines only make sense there).
var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
