/// The numbered SQL files of this folder, compiled into the binary (SwiftPM `embedInCode`).
/// A test checks that every `NNN_*.sql` file here is listed.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "001_init.sql", sql: String(decoding: PackageResources._01_init_sql, as: UTF8.self)),
        Migration(version: 2, name: "002_detection.sql", sql: String(decoding: PackageResources._02_detection_sql, as: UTF8.self)),
        Migration(version: 3, name: "003_dead_letters.sql", sql: String(decoding: PackageResources._03_dead_letters_sql, as: UTF8.self)),
        Migration(version: 4, name: "004_operator_ranges.sql", sql: String(decoding: PackageResources._04_operator_ranges_sql, as: UTF8.self)),
        Migration(version: 5, name: "005_rejected_per_message.sql", sql: String(decoding: PackageResources._05_rejected_per_message_sql, as: UTF8.self)),
        Migration(version: 6, name: "006_state_uncompressed.sql", sql: String(decoding: PackageResources._06_state_uncompressed_sql, as: UTF8.self)),
        Migration(version: 7, name: "007_partitioned_readings.sql", sql: String(decoding: PackageResources._07_partitioned_readings_sql, as: UTF8.self)),
        Migration(version: 8, name: "008_analyst_surface.sql", sql: String(decoding: PackageResources._08_analyst_surface_sql, as: UTF8.self)),
        Migration(version: 9, name: "009_event_feed.sql", sql: String(decoding: PackageResources._09_event_feed_sql, as: UTF8.self)),
        Migration(version: 10, name: "010_event_publishing.sql", sql: String(decoding: PackageResources._10_event_publishing_sql, as: UTF8.self)),
        Migration(version: 11, name: "011_fuel_purchases.sql", sql: String(decoding: PackageResources._11_fuel_purchases_sql, as: UTF8.self)),
        Migration(version: 12, name: "012_readings_xid.sql", sql: String(decoding: PackageResources._12_readings_xid_sql, as: UTF8.self)),
        Migration(version: 13, name: "013_detection_cursors.sql", sql: String(decoding: PackageResources._13_detection_cursors_sql, as: UTF8.self)),
        Migration(version: 14, name: "014_detection_marks.sql", sql: String(decoding: PackageResources._14_detection_marks_sql, as: UTF8.self)),
        Migration(version: 15, name: "015_readings_partition_key.sql", sql: String(decoding: PackageResources._15_readings_partition_key_sql, as: UTF8.self)),
    ]
}
