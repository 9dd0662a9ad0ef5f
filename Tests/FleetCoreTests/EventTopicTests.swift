import FleetCore
import Testing

@Suite struct EventTopicTests {
    @Test func aTopicIsPrefixKindAndVehicle() {
        #expect(EventTopic.make(prefix: "fleetd/events", kind: "drain", vehicleID: "TRUCK-0042") == "fleetd/events/drain/TRUCK-0042")
        #expect(EventTopic.make(prefix: "acme/fleetd", kind: "due_soon", vehicleID: "v1.2_x") == "acme/fleetd/due_soon/v1.2_x")
    }

    /// An operator's row can hold anything: each value stays one literal level, never a wildcard.
    @Test func levelsThatAreNotPlainNamesArePercentEncoded() {
        #expect(EventTopic.make(prefix: "p", kind: "gps_jump", vehicleID: "a/b+#") == "p/gps_jump/a%2Fb%2B%23")
        #expect(EventTopic.make(prefix: "p", kind: "", vehicleID: "%") == "p/%/%25")
        #expect(EventTopic.make(prefix: "p", kind: "x", vehicleID: "é\u{0}") == "p/x/%C3%A9%00")
        #expect(EventTopic.make(prefix: "p", kind: "x", vehicleID: String(repeating: "/", count: 30_000)) == nil, "longer than MQTT allows")
        for id in ["a/b", "+", "#", "$SYS", " ", "v\n"] {
            let topic = EventTopic.make(prefix: "p", kind: "k", vehicleID: id)!
            #expect(topic.split(separator: "/", omittingEmptySubsequences: false).count == 3 && !topic.contains("+") && !topic.contains("#"))
        }
    }

    @Test func aPrefixMustBeOutsideTheUnitsTopicsAndFreeOfWildcards() {
        #expect(EventTopic.problem(prefix: "fleetd/events") == nil)
        #expect(EventTopic.problem(prefix: "acme/prod/events") == nil)
        for bad in ["", "fleet", "fleet/fleetd", "fleetd/#", "a/+/b", "/x", "x/", "$SYS/x", "a\u{0}b"] {
            #expect(EventTopic.problem(prefix: bad) != nil, "\(bad)")
        }
    }
}
