import LibPQ
import Testing
@testable import FleetIngest

/// Passwords never reach a log line, in any of the forms libpq and MQTT URLs take them.
@Suite struct RedactionTests {
    @Test(arguments: [
        ("postgresql://fleet:s3cret@db/fleet", "postgresql://fleet:<hidden>@db/fleet"),
        ("postgres://u:p%40ss@db:5432/x?sslmode=require", "postgres://u:<hidden>@db:5432/x?sslmode=require"),
        ("postgresql://db/fleet?user=u&password=s3cret&sslmode=verify-full", "postgresql://db/fleet?user=u&password=<hidden>&sslmode=verify-full"),
        ("host=db password=s3cret user=u", "host=db password=<hidden> user=u"),
        ("host=db password = 'two words' user=u", "host=db password = <hidden> user=u"),
        (#"host=db password='it\'s' user=u"#, "host=db password=<hidden> user=u"),
        ("host=db PASSWORD=x", "host=db PASSWORD=<hidden>"),
        ("mqtt://fleetd:s3cret@broker:1883", "mqtt://fleetd:<hidden>@broker:1883"),
        (#"missing "=" after "postgresql://u:pw@h" in connection info string"#, #"missing "=" after "postgresql://u:<hidden>@h" in connection info string"#),
        ("postgresql://fleet@db/fleet", "postgresql://fleet@db/fleet"),
        ("host=db user=u", "host=db user=u"),
    ])
    func passwordsAreHidden(input: String, expected: String) {
        #expect(Redaction.text(input) == expected)
        #expect(Redaction.hasPassword(input) == (input != expected))
    }

    @Test func anInvalidSettingDoesNotEchoItsPassword() {
        let e = FleetConfig.Invalid(key: "mqtt-url", expected: "mqtt://host[:port]", got: "mqtt://u:hunter2@/nohost")
        #expect(!e.description.contains("hunter2"))
    }
}
