// swift-tools-version:6.0
import PackageDescription

// The import graph is DESIGN.md's table: a target lists only what it may import.
let package = Package(
    name: "mailgate",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mailgate", targets: ["mailgate"]),
        .library(name: "MIME", targets: ["MIME"]),
        // For the tools in Fuzz/ (harnesses of the IMAP/POP3 readers and config loader, the
        // bounce classifier's benchmark); not an API promise.
        .library(name: "MailSource", targets: ["MailSource"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Routing", targets: ["Routing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 1.16: LogHandler.log(event:).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // `mailgate run`: ServiceGroup, graceful shutdown on SIGTERM/SIGINT (github.com/apple/… redirects here).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libcurl plus typed wrappers for its variadic setopt/getinfo (Swift cannot call C variadics).
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // uchardet (Debian libuchardet-dev): guesses the charset of undeclared 8-bit text.
        .systemLibrary(name: "CUchardet", providers: [.apt(["libuchardet-dev"])]),
        // SHA-256 through libcrypto's EVP (CCrypto); undeclared charsets through uchardet.
        .target(name: "MIME", dependencies: ["CCrypto", "CUchardet"]),
        .target(name: "MailSource", dependencies: ["CCurl"]),
        .target(name: "MailStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Routing", dependencies: ["MIME"]),
        .target(name: "OdooRPC", dependencies: ["CCurl"]),
        // libcrypto (Debian libssl-dev): SHA-256 (MIME's digests, PKCE), random bytes, RS256 signatures (RFC 7523 JWTs).
        .target(name: "CCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "OAuth", dependencies: ["CCurl", "CCrypto"]),
        // c-ares (Debian libc-ares-dev): the stub resolver behind `doctor`'s DNS checks.
        .systemLibrary(name: "CAres", providers: [.apt(["libc-ares-dev"])]),
        // Synchronous TXT/MX/A/AAAA questions with typed outcomes (NXDOMAIN, NODATA, time-out…).
        .target(name: "MailDNS", dependencies: ["CAres"]),
        .target(name: "Gateway", dependencies: [
            "MIME", "MailSource", "MailStore", "Routing", "OdooRPC", "OAuth", "MailDNS",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "mailgate", dependencies: [
            "Gateway",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Shared by the test targets: the Dovecot fixture (ports, users, Maildir filling), temp dirs, running the CLI.
        // (and the test dnsmasq, which it asks through DNS to know it is up).
        .target(name: "TestSupport", dependencies: ["MailDNS"], path: "Tests/TestSupport"),
        .testTarget(name: "MIMETests", dependencies: ["MIME", "TestSupport"]),
        .testTarget(name: "MailSourceTests", dependencies: ["MailSource", "TestSupport"]),
        .testTarget(name: "MailStoreTests", dependencies: ["MailStore", "TestSupport"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "MIME", "TestSupport"]),
        .testTarget(name: "OAuthTests", dependencies: ["OAuth", "TestSupport"]),
        .testTarget(name: "OdooRPCTests", dependencies: ["OdooRPC"]),
        .testTarget(name: "MailDNSTests", dependencies: ["MailDNS", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "MailStore", "MailSource", "MIME", "OdooRPC", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
