import ArgumentParser
import FleetCore
import FleetIngest
import Foundation
import LibPQ

/// `fleetd import-purchases FILE.csv`: a fuel card provider's export into `fuel_purchases`.
struct ImportPurchases: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-purchases",
        abstract: "Import a fuel card export (CSV) into fuel_purchases, reporting every line it cannot store.",
        discussion: """
            Columns are found by their header names (Vehicle, Timestamp or Date and Time, Litres or Quantity, \
            Amount, Currency, Station, Latitude, Longitude, Card, Transaction ID, …); name others with \
            --column FIELD=HEADER. Fields: \(PurchaseField.allCases.map(\.rawValue).joined(separator: ", ")). \
            The delimiter (, ; or tab) is read off the header; numbers use a decimal comma in ;-separated files \
            unless --decimal-mark says otherwise. Importing the same file again stores nothing twice. \
            Exit status: 0 when every line was stored or already there, 1 when some lines were refused (the rest \
            are stored), 2 when nothing could be imported (no such file, a header without the needed columns, \
            not UTF-8).
            """)

    @OptionGroup var options: SettingsOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(name: .customLong("column"), help: "FIELD=HEADER: read FIELD from the column named HEADER (repeatable).") var columns: [String] = []
    @Option(help: "The decimal mark of numbers: . or , (default: , in ;-separated files, else .).") var decimalMark: String?
    @Option(help: "Time zone of times written without an offset, e.g. Europe/Berlin (default UTC).") var timeZone: String = "UTC"
    @Flag(help: "Read and check everything, report what would change, store nothing.") var dryRun = false

    func validate() throws {
        for c in columns {
            let parts = c.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, PurchaseField(rawValue: String(parts[0])) != nil else {
                throw ValidationError("--column \(c): expected FIELD=HEADER with FIELD one of \(PurchaseField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let m = decimalMark, m != ".", m != "," { throw ValidationError("--decimal-mark must be . or ,") }
        guard TimeZone(identifier: timeZone) != nil else { throw ValidationError("--time-zone \(timeZone): not a time zone such as Europe/Berlin or UTC") }
    }

    func run() async throws {
        let config = try await options.resolve()
        var o = PurchaseImport.Options(path: file)
        for c in columns {
            let parts = c.split(separator: "=", maxSplits: 1)
            o.overrides[PurchaseField(rawValue: String(parts[0]))!] = String(parts[1])
        }
        o.decimalMark = decimalMark?.utf8.first
        o.timeZone = TimeZone(identifier: timeZone)!
        o.dryRun = dryRun
        let started = ContinuousClock.now
        let stderr = FileHandle.standardError
        let summary: PurchaseImport.Summary
        do {
            summary = try PurchaseImport.run(o, conninfo: config.pipeline.postgresURL, schema: config.pipeline.schema) { line, refusal in
                stderr.write(Data("line \(line): \(refusal)\n".utf8))
            }
        } catch let failure as PurchaseImport.Failure {
            stderr.write(Data("fleetd: import-purchases: \(failure)\n".utf8))
            throw ExitCode(2)
        } catch let error as PGError {
            let hint = error.sqlState == "42P01" ? " (run fleetd migrate first)" : ""
            stderr.write(Data("fleetd: import-purchases: PostgreSQL: \(error)\(hint); nothing was imported\n".utf8))
            throw ExitCode(2)
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let verb = dryRun ? "would insert" : "inserted"
        var out = "\(file): \(summary.lines) lines (delimiter '\(summary.delimiter)', decimal mark '\(summary.decimalMark)') in \(String(format: "%.1f", seconds)) s: "
        out += "\(verb) \(summary.inserted), \(dryRun ? "would update" : "updated") \(summary.updated), already stored \(summary.unchanged), refused \(summary.refused)"
        if !summary.refusedByField.isEmpty {
            out += " (" + summary.refusedByField.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        if !summary.ignoredColumns.isEmpty { out += "; columns not used: \(summary.ignoredColumns.joined(separator: ", "))" }
        if dryRun { out += "; dry run: nothing stored" }
        print(out)
        if summary.refused > 0 { throw ExitCode(1) }
    }
}
