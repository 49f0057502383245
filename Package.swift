// swift-tools-version:6.1
// mock-okta: a fake Okta org for integration tests and CI.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "mock-okta",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mock-okta", targets: ["MockOktaCLI"]),
        .library(name: "MockOktaCore", targets: ["MockOktaCore"]),
        .library(name: "MockOktaServer", targets: ["MockOktaServer"]),
        // For Swift test suites: `try await withMockOkta(scenario: …) { org in … }`.
        .library(name: "MockOktaTesting", targets: ["MockOktaTesting"]),
    ],
    dependencies: [
        // HTTP server on SwiftNIO; HummingbirdTLS for --tls (wraps swift-nio-ssl). Traits off: we need no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: []),
        // NIOCore/NIOPosix: channel access for resets, closes and disconnect detection.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        // NIOHTTPTypes: the response-part type our Date-rewriting channel handler sees.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        // HTTPTypes: request/response heads used by Hummingbird.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // swift-nio-ssl: TLS configuration from in-memory PEM.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        // Graceful shutdown that releases hung handlers.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Logging API (text or JSON handler of our own).
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        // Command line parsing for the thin executable.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
    ],
    targets: [
        // Small C module over the system OpenSSL 3 (libcrypto): RSA keys, RS256, certificates.
        .target(
            name: "CMockOktaCrypto",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        // The system SQLite 3 (libsqlite3-dev): tenant state, keys, journal (Storage/SQLite.swift). Used directly
        // rather than through GRDB, which brought the whole of Foundation and ICU into the process (issue 15).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Everything that is Okta: tenant, tokens, OAuth, Management API, scenarios, journal, verdicts.
        // It never imports Hummingbird; the server adapts it to HTTP.
        .target(
            name: "MockOktaCore",
            dependencies: [
                "CMockOktaCrypto",
                "CSQLite",
                .product(name: "Logging", package: "swift-log"),
            ],
            // The key pool (made by scripts/make-key-pool) and the dashboard page, embedded in the binary.
            resources: [.embedInCode("Resources/keypool.pem"), .embedInCode("Resources/dashboard.html")],
            swiftSettings: swiftSettings,
            // scenarios/schema.json and the shipped scenarios, embedded at build time.
            plugins: ["EmbedScenarios"]
        ),
        // HTTP: Hummingbird responder, wire faults on the NIO channel, TLS, ready file, shutdown.
        .target(
            name: "MockOktaServer",
            dependencies: [
                "MockOktaCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // NIOHTTP1: the versioned request head, to close HTTP/1.0 connections after the answer.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Embeds an org in a Swift test: start on a free port with a scenario, read the verdicts, stop.
        .target(
            name: "MockOktaTesting",
            dependencies: ["MockOktaServer", "MockOktaCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The executable: argument parsing only.
        .executableTarget(
            name: "MockOktaCLI",
            dependencies: [
                "MockOktaServer",
                "MockOktaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["VersionStamp"]
        ),
        // Writes the git commit into the build for `mock-okta --version`.
        .plugin(name: "VersionStamp", capability: .buildTool()),
        // Embeds scenarios/ (the schema and the shipped scenarios) into MockOktaCore at build time.
        .plugin(name: "EmbedScenarios", capability: .buildTool()),
        .testTarget(
            name: "MockOktaCoreTests",
            dependencies: ["MockOktaCore", "CMockOktaCrypto"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MockOktaServerTests",
            dependencies: ["MockOktaServer", "MockOktaCore", "MockOktaTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)

// The stack's floor for scripts/bench-floor (Benchmarks/Floor): Hummingbird serving fixed bytes, nothing of ours.
// Declared only when that script builds it with MOCK_OKTA_FLOOR=1.
if Context.environment["MOCK_OKTA_FLOOR"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "mock-okta-floor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Floor",
            swiftSettings: swiftSettings
        )
    )
    package.products.append(.executable(name: "mock-okta-floor", targets: ["mock-okta-floor"]))
}

// libFuzzer harness (Tests/Fuzz): declared only when scripts/fuzz builds it with MOCK_OKTA_FUZZ=1 in its own
// build directory, so a normal `swift build` / `swift test` never compiles or links it.
if Context.environment["MOCK_OKTA_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "MockOktaFuzz",
            dependencies: ["MockOktaCore"],
            path: "Tests/Fuzz/Harness",
            swiftSettings: swiftSettings
        )
    )
}
