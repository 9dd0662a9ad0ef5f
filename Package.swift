// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "fleetd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fleetd", targets: ["fleetd"]),
        .executable(name: "fleet-sim", targets: ["fleet-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.8.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The one wrapper around each C library: no handle or C pointer leaves these targets.
        .target(name: "LibPQ", dependencies: ["CLibPQ"], swiftSettings: strict),
        .target(name: "Mosquitto", dependencies: ["CMosquitto"], swiftSettings: strict),
        // Pure domain: no I/O imports allowed here.
        .target(
            name: "FleetCore",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: strict
        ),
        // SQL migrations, embedded in the binary.
        .target(
            name: "FleetMigrations",
            path: "sql",
            
            sources: ["Migrations.swift"],
            resources: [.embedInCode("001_init.sql"), .embedInCode("002_detection.sql"), .embedInCode("003_dead_letters.sql"),
                        .embedInCode("004_operator_ranges.sql"),
                        .embedInCode("005_rejected_per_message.sql"), .embedInCode("006_state_uncompressed.sql"),
                        .embedInCode("007_partitioned_readings.sql"),
                        .embedInCode("008_analyst_surface.sql"),
                        .embedInCode("009_event_feed.sql"),
                        .embedInCode("010_event_publishing.sql"), .embedInCode("011_fuel_purchases.sql"),
                        .embedInCode("012_readings_xid.sql"), .embedInCode("013_detection_cursors.sql"),
                        .embedInCode("014_detection_marks.sql"),
                        .embedInCode("015_readings_partition_key.sql")],
            swiftSettings: strict
        ),
        .target(
            name: "FleetIngest",
            dependencies: [
                "FleetCore", "FleetMigrations", "LibPQ", "Mosquitto",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fleetd",
            dependencies: [
                "FleetIngest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Seeded randomness for the simulator and the tests: the same draws for a seed everywhere, no C library.
        .target(name: "SeededRandom", path: "sensors-sim/Sources/SeededRandom", swiftSettings: strict),
        .target(
            name: "FleetSim",
            dependencies: ["FleetCore", "SeededRandom", "LibPQ", "Mosquitto"],
            path: "sensors-sim/Sources/FleetSim",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fleet-sim",
            dependencies: [
                "FleetSim", "FleetIngest", "LibPQ", "Mosquitto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "sensors-sim/Sources/fleet-sim",
            swiftSettings: strict
        ),
        // What tests of several targets start: a private mosquitto.
        .target(name: "FleetTestSupport", dependencies: ["Mosquitto"], path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "FleetCoreTests", dependencies: ["FleetCore", "SeededRandom"], swiftSettings: strict),
        .testTarget(
            name: "FleetIngestTests",
            dependencies: ["FleetIngest", "FleetMigrations", "FleetSim", "SeededRandom", "FleetTestSupport", "LibPQ", "Mosquitto", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "FleetSimTests", dependencies: ["FleetSim", "SeededRandom", "FleetIngest", "FleetTestSupport", "Mosquitto"], swiftSettings: strict),
        // Detectors judged against the simulator's ground truth, without I/O.
        .testTarget(name: "FleetDetectionTests", dependencies: ["FleetCore", "FleetSim", "SeededRandom"], swiftSettings: strict),
    ]
)
