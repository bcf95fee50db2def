// swift-tools-version:6.0
import PackageDescription

// Tools that must never be linked by a plain build of Mailgate: the libFuzzer harness and the parse
// benchmark. They depend on the main package by path and use only its MIME library.
let package = Package(
    name: "mailgate-fuzz",
    dependencies: [.package(name: "mailgate", path: "..")],
    targets: [
        // Build with -sanitize=fuzzer (Scripts/fuzz); the driver comes from libFuzzer.
        .executableTarget(name: "MIMEFuzz", dependencies: [.product(name: "MIME", package: "mailgate")]),
        // Plain release build (Scripts/bench-parse).
        .executableTarget(name: "MIMEBench", dependencies: [.product(name: "MIME", package: "mailgate")]),
    ],
    swiftLanguageModes: [.v5]
)
