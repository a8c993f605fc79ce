// swift-tools-version:6.1
import PackageDescription

/// One settings list for every target: Swift 6 mode and the upcoming features we hold ourselves to.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "celeriac",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Celeriac", targets: ["Celeriac"]),
        .library(name: "CeleriacSQLite", targets: ["CeleriacSQLite"]),
        .library(name: "CeleriacCommands", targets: ["CeleriacCommands"]),
        .library(name: "CeleriacRESP", targets: ["CeleriacRESP"]),
        .library(name: "CeleriacRedis", targets: ["CeleriacRedis"]),
        .library(name: "CeleriacPostgres", targets: ["CeleriacPostgres"]),
        .library(name: "CeleriacAMQP", targets: ["CeleriacAMQP"]),
        .library(name: "CeleriacRabbitMQ", targets: ["CeleriacRabbitMQ"]),
        .library(name: "CeleriacHummingbird", targets: ["CeleriacHummingbird"]),
        .library(name: "CeleriacDashboard", targets: ["CeleriacDashboard"]),
        .library(name: "CeleriacPrometheus", targets: ["CeleriacPrometheus"]),
        .executable(name: "celeriac", targets: ["CeleriacCLI"]),
        .executable(name: "hummingbird-example", targets: ["HummingbirdExample"]),
        .executable(name: "celeriac-example", targets: ["CeleriacExample"]),
        .executable(name: "celeriac-bench", targets: ["CeleriacBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Without its default traits Hummingbird does not pull swift-configuration into every build.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
    ],
    targets: [
        .target(
            name: "Celeriac",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "CeleriacSQLite",
            dependencies: ["Celeriac", "CSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacRESP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacAMQP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacRabbitMQ",
            dependencies: [
                "Celeriac", "CeleriacAMQP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacRedis",
            dependencies: [
                "Celeriac", "CeleriacRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacPostgres",
            dependencies: [
                "Celeriac",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacHummingbird",
            dependencies: [
                "Celeriac",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacPrometheus",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacDashboard",
            dependencies: [
                "Celeriac", "CeleriacPrometheus",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacCommands",
            dependencies: [
                "Celeriac", "CeleriacSQLite", "CeleriacRedis", "CeleriacPostgres", "CeleriacRabbitMQ",
                "CeleriacDashboard", "CeleriacPrometheus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CeleriacCLI",
            dependencies: ["CeleriacCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CeleriacExample",
            dependencies: ["Celeriac", "CeleriacCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HummingbirdExample",
            dependencies: [
                "Celeriac", "CeleriacHummingbird", "CeleriacCommands",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/HummingbirdApp",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CeleriacBenchmarks",
            dependencies: ["Celeriac", "CeleriacSQLite", "CeleriacCommands", "CeleriacAMQP", "CeleriacRabbitMQ", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/CeleriacBenchmarks",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CeleriacTesting",
            dependencies: ["Celeriac", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacTests",
            dependencies: [
                "Celeriac", "CeleriacTesting", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacSQLiteTests",
            dependencies: ["Celeriac", "CeleriacSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacCommandsTests",
            dependencies: ["CeleriacCommands", "Celeriac", .product(name: "Logging", package: "swift-log"), .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacRESPTests",
            dependencies: [
                "CeleriacRESP", "CeleriacTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacAMQPTests",
            dependencies: [
                "CeleriacAMQP", "CeleriacTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacRabbitMQTests",
            dependencies: [
                "Celeriac", "CeleriacRabbitMQ", "CeleriacAMQP", "CeleriacSQLite", "CeleriacCommands", "CeleriacTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["python"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacRedisTests",
            dependencies: ["Celeriac", "CeleriacRedis", "CeleriacRESP", "CeleriacTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Celeriac", "CeleriacSQLite", "CeleriacTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacPostgresTests",
            dependencies: ["Celeriac", "CeleriacPostgres", "CeleriacTesting", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacHummingbirdTests",
            dependencies: [
                "Celeriac", "CeleriacHummingbird", "CeleriacSQLite", "CeleriacTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacPrometheusTests",
            dependencies: [
                "CeleriacPrometheus", "Celeriac", "CeleriacTesting",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CeleriacDashboardTests",
            dependencies: [
                "Celeriac", "CeleriacDashboard", "CeleriacSQLite", "CeleriacRedis", "CeleriacCommands", "CeleriacTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["browser"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "InteropTests", dependencies: ["Celeriac", "CeleriacTesting"], exclude: ["python"], swiftSettings: swiftSettings),
    ]
)
