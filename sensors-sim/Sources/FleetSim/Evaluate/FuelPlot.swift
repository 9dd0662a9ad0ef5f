import FleetCore

/// One vehicle's fuel over a span of time as an SVG, so a miss or a false call can be judged by eye:
/// the measured level (litres; percent readings through the tank), shading where the vehicle moved
/// (blue) or stood with the ignition on (yellow), the true events as bands above the plot and
/// fleetd's events as bands below it, each labelled.
public struct FuelPlot: Sendable {
    public var vehicle: String
    public var readings: [Reading]
    public var truth: [TruthEvent]
    public var detected: [DetectedEvent]
    public var fromMs: Int64
    public var toMs: Int64
    public var tankL: Double?

    public init(vehicle: String, readings: [Reading], truth: [TruthEvent], detected: [DetectedEvent],
                fromMs: Int64, toMs: Int64, tankL: Double?) {
        self.vehicle = vehicle
        self.readings = readings.filter { $0.vehicleID == vehicle && $0.ts >= fromMs && $0.ts <= toMs }.sorted { $0.ts < $1.ts }
        self.truth = truth.filter { $0.vehicle == vehicle && $0.endMs >= fromMs && $0.startMs <= toMs }
        self.detected = detected.filter { $0.vehicle == vehicle && $0.endMs >= fromMs && $0.startMs <= toMs }
        self.fromMs = fromMs
        self.toMs = max(toMs, fromMs + 1)
        self.tankL = tankL
    }

    static let width = 1200.0, height = 560.0
    static let left = 70.0, right = 20.0, top = 90.0, bottom = 110.0
    var plotWidth: Double { Self.width - Self.left - Self.right }
    var plotHeight: Double { Self.height - Self.top - Self.bottom }

    func litres(_ r: Reading) -> Double? { r.fuelL ?? r.fuelPct.flatMap { p in tankL.map { p / 100 * $0 } } }

    func x(_ ms: Int64) -> Double { Self.left + Double(ms - fromMs) / Double(toMs - fromMs) * plotWidth }

    public func svg() -> String {
        let levels = readings.compactMap(litres)
        let maxL = max(tankL ?? 0, levels.max() ?? 0, 1) * 1.05
        func y(_ l: Double) -> Double { Self.top + (1 - max(0, l) / maxL) * plotHeight }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.left)" y="20" font-size="15" font-weight="bold">\(Self.escape(vehicle)): fuel \
            \(Timestamp.formatRFC3339(ms: fromMs)) to \(Timestamp.formatRFC3339(ms: toMs))</text>
            <text x="\(Self.left)" y="38" fill="#555">\(levels.count) fuel readings, \(truth.count) true events (above), \
            \(detected.count) fleetd events (below); blue: moving, yellow: ignition on, standing</text>

            """
        // Motion and ignition: each reading's state holds until the next reading.
        for (a, b) in zip(readings, readings.dropFirst()) {
            let moving = (a.speedKmh ?? 0) > 3
            guard moving || a.ignition == true else { continue }
            out += rect(x(a.ts), Self.top, x(b.ts) - x(a.ts), plotHeight, moving ? "#dbe9ff" : "#fff4c2")
        }
        // Axes: litres, and time in hours.
        for i in 0...5 {
            let l = maxL / 1.05 * Double(i) / 5
            out += line(Self.left, y(l), Self.left + plotWidth, y(l), "#e5e5e5")
            out += text(Self.left - 6, y(l) + 4, "\(Int(l.rounded())) L", anchor: "end")
        }
        let ticks = 8
        for i in 0...ticks {
            let t = fromMs + (toMs - fromMs) * Int64(i) / Int64(ticks)
            out += line(x(t), Self.top + plotHeight, x(t), Self.top + plotHeight + 4, "#333")
            let stamp = Timestamp.formatRFC3339(ms: t)
            let anchor = i == 0 ? "start" : (i == ticks ? "end" : "middle")
            out += text(x(t), Self.top + plotHeight + 16, String(stamp.dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " "), anchor: anchor)
        }
        out += rect(Self.left, Self.top, plotWidth, plotHeight, "none", stroke: "#333")
        if let tankL {
            out += line(Self.left, y(tankL), Self.left + plotWidth, y(tankL), "#999", dash: true)
            out += text(Self.left + plotWidth - 4, y(tankL) - 4, "tank \(Int(tankL)) L", anchor: "end", fill: "#777")
        }
        // The measured level.
        let points = readings.compactMap { r in litres(r).map { "\(Self.fmt(x(r.ts))),\(Self.fmt(y($0)))" } }
        if !points.isEmpty {
            out += "<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"1.2\" points=\"\(points.joined(separator: " "))\"/>\n"
        }
        // Truth above the plot, fleetd below, on lanes so that overlapping events stay readable.
        for (i, t) in truth.sorted(by: { $0.startMs < $1.startMs }).enumerated() {
            let lane = Double(i % 3)
            let label = "T " + t.kind.rawValue + (t.volumeL.map { " \(Int($0.rounded())) L" } ?? "")
            out += band(t.startMs, t.endMs, Self.top - 46 + lane * 14, Self.color(t.kind.rawValue), label)
        }
        for (i, d) in detected.sorted(by: { $0.startMs < $1.startMs }).enumerated() {
            let lane = Double(i % 3)
            let label = "F " + d.kind + (d.volumeL.map { " \(Int($0.rounded())) L" } ?? "")
            out += band(d.startMs, d.endMs, Self.top + plotHeight + 28 + lane * 14, Self.color(d.kind), label)
        }
        return out + "</svg>\n"
    }

    static func color(_ kind: String) -> String {
        switch kind {
        case "refuel": "#2e8b3a"
        case "drain", "fuel_drain": "#c62828"
        default: "#8e6c00"
        }
    }

    func band(_ from: Int64, _ to: Int64, _ y: Double, _ color: String, _ label: String) -> String {
        let x0 = max(Self.left, x(from)), x1 = min(Self.left + plotWidth, max(x(to), x0 + 3))
        return rect(x0, y, x1 - x0, 10, color) + text(x1 + 3, y + 9, label, fill: color)
            + line(x0, Self.top, x0, Self.top + plotHeight, color, dash: true)
    }

    func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ fill: String, stroke: String? = nil) -> String {
        "<rect x=\"\(Self.fmt(x))\" y=\"\(Self.fmt(y))\" width=\"\(Self.fmt(max(0, w)))\" height=\"\(Self.fmt(h))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\"" } ?? "") + "/>\n"
    }

    func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, dash: Bool = false) -> String {
        "<line x1=\"\(Self.fmt(x1))\" y1=\"\(Self.fmt(y1))\" x2=\"\(Self.fmt(x2))\" y2=\"\(Self.fmt(y2))\" stroke=\"\(color)\""
            + (dash ? " stroke-dasharray=\"4 3\"" : "") + "/>\n"
    }

    func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", fill: String = "#222") -> String {
        "<text x=\"\(Self.fmt(x))\" y=\"\(Self.fmt(y))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(Self.escape(s))</text>\n"
    }

    static func fmt(_ v: Double) -> String { String((v * 10).rounded() / 10) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
