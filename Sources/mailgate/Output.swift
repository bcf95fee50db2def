import ArgumentParser
import Gateway
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

/// Runs `body`; a failure is printed in the admin's words and becomes its sysexits code.
func exitingOnFailure<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let exit as ExitCode { throw exit } catch {
        printError("mailgate: \(error)")
        throw ExitCode(Poller.exitCode(of: error))
    }
}
