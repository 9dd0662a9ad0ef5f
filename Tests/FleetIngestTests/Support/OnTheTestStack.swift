import Testing

/// Every suite that runs fleetd against the shared test broker: one at a time, since each fleetd
/// subscribes to all of `fleet/+/…` and would store another suite's traffic as its own.
@Suite(.serialized, .enabled(if: TestStack.available, "needs the stack from deploy/test.sh"))
struct OnTheTestStack {}
