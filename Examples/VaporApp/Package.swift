// swift-tools-version:6.1
import PackageDescription

/// The root package's settings: Swift 6 mode and the upcoming features we hold ourselves to.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Celeriac in Vapor: a package of its own, so that Vapor's build stays out of the core package's.
let package = Package(
    name: "VaporApp",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CeleriacVapor", targets: ["CeleriacVapor"]),
        .executable(name: "App", targets: ["App"]),
    ],
    dependencies: [
        .package(name: "celeriac", path: "../.."),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
    ],
    targets: [
        .target(
            name: "CeleriacVapor",
            dependencies: [
                .product(name: "Celeriac", package: "celeriac"),
                .product(name: "CeleriacCommands", package: "celeriac"),
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "App",
            dependencies: [
                "CeleriacVapor",
                .product(name: "Celeriac", package: "celeriac"),
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App", "CeleriacVapor",
                .product(name: "Celeriac", package: "celeriac"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
