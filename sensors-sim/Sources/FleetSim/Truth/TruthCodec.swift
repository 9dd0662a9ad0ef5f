import FleetCore
import Foundation

/// Reads and writes truth records as JSON Lines. Few records per run, so Foundation is fine here.
public enum TruthCodec {
    public static func line(_ e: TruthEvent) -> String {
        var s = "{\"kind\":\"\(e.kind.rawValue)\",\"vehicle\":\"\(e.vehicle)\""
        s += ",\"start\":\"\(RFC3339.format(e.startMs))\",\"end\":\"\(RFC3339.format(e.endMs))\""
        func num(_ k: String, _ v: Double?) { if let v { s += ",\"\(k)\":\(Self.fmt(v))" } }
        func str(_ k: String, _ v: String?) { if let v { s += ",\"\(k)\":\"\(v)\"" } }
        num("volume_l", e.volumeL)
        num("level_before_l", e.levelBeforeL)
        num("level_after_l", e.levelAfterL)
        if let m = e.moving { s += ",\"moving\":\(m)" }
        num("tank_share", e.tankShare)
        str("service", e.service)
        str("trigger", e.trigger?.rawValue)
        str("level", e.level?.rawValue)
        if let k = e.skewMs { s += ",\"skew_ms\":\(k)" }
        num("from_km", e.fromKm)
        num("to_km", e.toKm)
        str("cause", e.cause)
        return s + "}"
    }

    static func fmt(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 1000
        return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : String(r)
    }

    private struct Record: Decodable {
        var kind: String
        var vehicle: String
        var start: String
        var end: String
        var volume_l: Double?
        var level_before_l: Double?
        var level_after_l: Double?
        var moving: Bool?
        var tank_share: Double?
        var service: String?
        var trigger: String?
        var level: String?
        var skew_ms: Int64?
        var from_km: Double?
        var to_km: Double?
        var cause: String?
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "truth line \(line): \(message)" }
    }

    /// Parses a JSON Lines truth file; unknown kinds are skipped so newer files stay readable.
    public static func parse(_ text: String) throws -> [TruthEvent] {
        let decoder = JSONDecoder()
        var out: [TruthEvent] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let r: Record
            do { r = try decoder.decode(Record.self, from: Data(line.utf8)) } catch {
                throw ParseError(line: i + 1, message: "\(error)")
            }
            guard let kind = TruthKind(rawValue: r.kind) else { continue }
            guard let s = RFC3339.parse(r.start), let e = RFC3339.parse(r.end) else {
                throw ParseError(line: i + 1, message: "start/end must be RFC 3339 times")
            }
            var ev = TruthEvent(kind: kind, vehicle: r.vehicle, startMs: s, endMs: e)
            ev.volumeL = r.volume_l
            ev.levelBeforeL = r.level_before_l
            ev.levelAfterL = r.level_after_l
            ev.moving = r.moving
            ev.tankShare = r.tank_share
            ev.service = r.service
            ev.trigger = r.trigger.flatMap(MaintenanceAlert.Trigger.init(rawValue:))
            ev.level = r.level.flatMap(MaintenanceAlert.Level.init(rawValue:))
            ev.skewMs = r.skew_ms
            ev.fromKm = r.from_km
            ev.toKm = r.to_km
            ev.cause = r.cause
            out.append(ev)
        }
        return out
    }
}
