// swift-tools-version:6.0
import PackageDescription

// Tools that must never be linked by a plain build of Mailgate: the libFuzzer harnesses and the
// benchmarks. They depend on the main package by path.
let package = Package(
    name: "mailgate-fuzz",
    dependencies: [.package(name: "mailgate", path: "..")],
    targets: [
        // The libFuzzer entry point and a scripted server stream, shared by the harnesses.
        .target(name: "FuzzSupport", dependencies: [.product(name: "MailSource", package: "mailgate")]),
        // Build with -sanitize=fuzzer (Scripts/fuzz TARGET); the driver comes from libFuzzer.
        .executableTarget(name: "MIMEFuzz", dependencies: [.product(name: "MIME", package: "mailgate")]),
        .executableTarget(name: "IMAPFuzz", dependencies: ["FuzzSupport", .product(name: "MailSource", package: "mailgate")]),
        .executableTarget(name: "POP3Fuzz", dependencies: ["FuzzSupport", .product(name: "MailSource", package: "mailgate")]),
        .executableTarget(name: "ConfigFuzz", dependencies: ["FuzzSupport", .product(name: "Gateway", package: "mailgate")]),
        // Plain release build (Scripts/bench-parse).
        .executableTarget(name: "MIMEBench", dependencies: [.product(name: "MIME", package: "mailgate")]),
        // Plain release build (Scripts/bench-bounce): the bounce classifier alone, messages parsed beforehand.
        .executableTarget(name: "BounceBench", dependencies: [
            .product(name: "MIME", package: "mailgate"), .product(name: "Routing", package: "mailgate"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
