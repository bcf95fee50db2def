import Glibc
import MIME

// libFuzzer harness for MIMEParser: every input must parse without trapping and give valid JSON
// (checked cheaply: the line is UTF-8 and balanced); tight limits so a single input stays fast.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

let options = ParserOptions(maxHeaderBytes: 64 << 10, maxDepth: 24, maxParts: 500)

let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let m = MIMEParser(options: options).parse(bytes)
    let line = m.jsonLine()
    // Cheap sanity checks that a broken writer or model would fail.
    precondition(line.hasPrefix("{") && line.hasSuffix("}"))
    if let dsn = m.dsn { precondition(dsn.recipients.count == (m.deliveryStatus?.count ?? -1)) }
    for a in m.attachments { precondition(a.size >= 0 && a.sha256.utf8.count == 64) }
    _ = m.root?.structure
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
