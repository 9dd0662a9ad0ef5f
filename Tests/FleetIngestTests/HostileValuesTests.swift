import FleetCore
import Testing

@testable import FleetIngest

/// Values from outside (operators' rows, flags, the config file) that once trapped a conversion:
/// each is refused or skipped with a name, never a crash.
@Suite struct HostileValuesTests {
    static let hostile: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, -1, .greatestFiniteMagnitude, -0.0001]

    @Test func outOfRangeOperatorValuesAreNamedAndDropped() {
        for v in Self.hostile {
            var check = OperatorValueCheck()
            #expect(check.milliseconds(seconds: v, "fuel_settle_after_motion_s", in: OperatorValueRanges.settleAfterMotionS) == nil)
            #expect(check.value(v, "tank_capacity_l", in: OperatorValueRanges.volumeL) == nil)
            #expect(check.invalid == ["fuel_settle_after_motion_s", "tank_capacity_l"], "\(v)")
        }
    }

    @Test func sensibleOperatorValuesPass() {
        var check = OperatorValueCheck()
        #expect(check.milliseconds(seconds: 20.5, "s", in: OperatorValueRanges.settleAfterMotionS) == 20_500)
        #expect(check.value(80, "tank", in: OperatorValueRanges.volumeL) == 80)
        #expect(check.value(nil, "tank", in: OperatorValueRanges.volumeL) == nil)
        #expect(check.integer(365, "interval_days", in: OperatorValueRanges.intervalDays) == 365)
        #expect(check.isValid)
    }

    @Test func intervalsMustBePositiveAndBounded() {
        for days: Int64 in [0, -1, -2_000_000_000, 2_000_000_000, .max, .min] {
            var check = OperatorValueCheck()
            #expect(check.integer(days, "interval_days", in: OperatorValueRanges.intervalDays) == nil)
            #expect(!check.isValid)
        }
        var check = OperatorValueCheck()
        #expect(check.positive(0, "interval_km", in: OperatorValueRanges.distanceKm) == nil)
        #expect(check.positive(-5, "interval_km", in: OperatorValueRanges.distanceKm) == nil)
        #expect(check.invalid == ["interval_km", "interval_km"])
    }

    @Test func aMissingRequiredValueIsNamed() {
        var check = OperatorValueCheck()
        #expect(check.required(Int64?.none, "performed_at") == nil)
        #expect(check.invalid == ["performed_at"])
    }

    @Test func hugeDurationsAndSizesAreRefusedNotTrapped() {
        for text in ["1e300s", "1e300", "1e16d", "9223372036854775807s", "nan", "inf", "-1s", "1e300ms"] {
            #expect(ConfigValueParsers.duration(text) == nil, "\(text)")
        }
        #expect(ConfigValueParsers.duration("250ms") == .milliseconds(250))
        #expect(ConfigValueParsers.duration("7d") == .seconds(7 * 86_400))
        #expect(ConfigValueParsers.duration("1.5") == .milliseconds(1_500))
        for text in ["1e300GiB", "1e30KiB", "17179869184GiB", "inf MiB", "-1MiB", "99999999999999999999999"] {
            #expect(ConfigValueParsers.size(text) == nil, "\(text)")
        }
        #expect(ConfigValueParsers.size("256MiB") == 256 << 20)
        #expect(ConfigValueParsers.size("1.5KiB") == 1536)
    }
}
