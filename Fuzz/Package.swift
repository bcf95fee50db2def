// swift-tools-version:6.0
import PackageDescription

// Tools that must never be linked by a plain build of Mailgate: the libFuzzer harness and the
// benchmarks. They depend on the main package by path and use only its MIME and Routing libraries.
let package = Package(
    name: "mailgate-fuzz",
    dependencies: [.package(name: "mailgate", path: "..")],
    targets: [
        // Build with -sanitize=fuzzer (Scripts/fuzz); the driver comes from libFuzzer.
        .executableTarget(name: "MIMEFuzz", dependencies: [.product(name: "MIME", package: "mailgate")]),
        // Plain release build (Scripts/bench-parse).
        .executableTarget(name: "MIMEBench", dependencies: [.product(name: "MIME", package: "mailgate")]),
        // Plain release build (Scripts/bench-bounce): the bounce classifier alone, messages parsed beforehand.
        .executableTarget(name: "BounceBench", dependencies: [
            .product(name: "MIME", package: "mailgate"), .product(name: "Routing", package: "mailgate"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
