import FleetCore
import Foundation
import Testing

@testable import FleetSim

/// `fleet-sim evaluate --plot`'s pictures: what they draw, and that a real browser (Debian's chromium,
/// headless) renders one to a screenshot that is not blank.
@Suite struct FuelPlotTests {
    /// Four hours of a parked truck with a theft in the middle, and a refuel fleetd missed.
    static func plot() -> FuelPlot {
        let start: Int64 = 1_767_225_600_000
        var readings: [Reading] = []
        for i in 0..<240 {
            let ts = start + Int64(i) * 60_000
            let level = i < 100 ? 300.0 : (i < 110 ? 300 - Double(i - 100) * 5 : (i < 200 ? 250 : 390))
            readings.append(Reading(vehicleID: "v00042", channel: .telemetry, ts: ts, fuelL: level + Double(i % 3) * 0.5,
                                    speedKmh: i > 210 ? 60 : 0, ignition: i > 190))
        }
        readings.append(Reading(vehicleID: "other", channel: .fuel, ts: start, fuelL: 10))
        var drain = TruthEvent(kind: .drain, vehicle: "v00042", startMs: start + 100 * 60_000, endMs: start + 110 * 60_000)
        drain.volumeL = 50
        var refuel = TruthEvent(kind: .refuel, vehicle: "v00042", startMs: start + 198 * 60_000, endMs: start + 201 * 60_000)
        refuel.volumeL = 140
        let truth = [drain, refuel]
        let detected = [DetectedEvent(kind: "drain", vehicle: "v00042", startMs: start + 100 * 60_000, endMs: start + 111 * 60_000, volumeL: 49)]
        return FuelPlot(vehicle: "v00042", readings: readings, truth: truth, detected: detected,
                        fromMs: start, toMs: start + 240 * 60_000, tankL: 400)
    }

    @Test func itDrawsTheVehiclesLevelAndEveryEventLabelled() {
        let svg = Self.plot().svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        let points = svg.split(separator: "points=\"").dropFirst().first?.split(separator: "\"").first?.split(separator: " ") ?? []
        #expect(points.count == 240, "one point per fuel reading of this vehicle only")
        #expect(svg.contains(">T drain 50 L<") && svg.contains(">T refuel 140 L<") && svg.contains(">F drain 49 L<"))
        #expect(!svg.contains("F refuel"), "fleetd's miss shows as a truth band with nothing below it")
        #expect(svg.contains("#dbe9ff") && svg.contains("#fff4c2"), "moving and standing with the ignition on are shaded")
        #expect(svg.contains("tank 400 L"))
    }

    @Test func aHeadlessBrowserRendersItToAScreenshotThatIsNotBlank() throws {
        let dir = NSTemporaryDirectory() + "fuelplot-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let svgPath = dir + "/plot.svg", pngPath = dir + "/plot.png"
        try Self.plot().svg().write(toFile: svgPath, atomically: true, encoding: .utf8)
        let browser = try Self.run("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                "--window-size=1200,560", "--screenshot=\(pngPath)", "file://\(svgPath)"])
        try #require(FileManager.default.fileExists(atPath: pngPath), "chromium made no screenshot: \(browser)")
        // The screenshot's pixels, decoded by Python's zlib (PNG: 8-bit RGB or RGBA, filtered rows).
        let census = try Self.run("python3", ["-c", Self.pngCensus, pngPath])
        let fields = census.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(fields.count == 4, "census: \(census)")
        let (width, height, inked, colours) = (fields[0], fields[1], fields[2], fields[3])
        #expect(width == 1200 && height == 560)
        #expect(Double(inked) / Double(width * height) > 0.05, "at least 5 % of the picture is drawn: \(inked) pixels")
        #expect(colours >= 6, "the line, shading and event colours show: \(colours) distinct colours")
    }

    /// Prints width, height, pixels that are not white, and distinct colours of a PNG.
    static let pngCensus = """
        import sys, zlib, struct
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat, w = 8, b'', 0
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
            if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            if kind == b'IDAT': idat += body
        assert depth == 8 and ctype in (2, 6)
        bpp = 3 if ctype == 2 else 4
        raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
        for y in range(h):
            f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(line); prev = line
        inked, colours = 0, set()
        for line in rows:
            for x in range(w):
                px = bytes(line[x * bpp:x * bpp + 3]); colours.add(px)
                if px != b'\\xff\\xff\\xff': inked += 1
        print(w, h, inked, len(colours))
        """

    /// Runs a program from PATH, returning its combined output; throws when it fails.
    static func run(_ name: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [name] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw FuelPlotFailure(message: "\(name) exited \(p.terminationStatus): \(text.suffix(2000))") }
        return text
    }
}

struct FuelPlotFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
