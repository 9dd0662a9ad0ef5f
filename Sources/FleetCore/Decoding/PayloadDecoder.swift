/// Decodes the units' payloads (README, Reference) (one reading object or an array of them) for one topic.
///
/// A structural fault of the whole message rejects it whole; a fault inside one reading of an
/// array rejects only that reading. Impossible values are dropped and reported, not rejected.
public struct PayloadDecoder: Sendable {
    public var limits: PayloadLimits

    public init(limits: PayloadLimits = PayloadLimits()) {
        self.limits = limits
    }

    /// Decodes one message, appending to `out`.
    public func decode(topic: String, payload: UnsafeRawBufferPointer, into out: inout DecodedMessage) {
        switch Topic.parse(topic) {
        case .failure(let rejection):
            out.rejections.append(rejection)
        case .success(let t):
            decode(vehicleID: t.vehicleID, channel: t.channel, payload: payload, into: &out)
        }
    }

    public func decode(topic: String, payload: [UInt8]) -> DecodedMessage {
        var out = DecodedMessage()
        payload.withUnsafeBytes { decode(topic: topic, payload: $0, into: &out) }
        return out
    }

    public func decode(vehicleID: String, channel: Channel, payload raw: UnsafeRawBufferPointer, into out: inout DecodedMessage) {
        guard raw.count <= limits.maxBytes else {
            out.rejections.append(Rejection(reason: .tooLarge, detail: "message is \(raw.count) bytes, the limit is \(limits.maxBytes)"))
            return
        }
        let bytes = raw.bindMemory(to: UInt8.self)
        let mark = (out.readings.count, out.rejections.count, out.impossible.count)
        func rejectWhole(_ reason: RejectReason, _ detail: String) {
            out.readings.removeSubrange(mark.0...)
            out.rejections.removeSubrange(mark.1...)
            out.impossible.removeSubrange(mark.2...)
            out.rejections.append(Rejection(reason: reason, detail: detail))
        }
        var cursor = JSONCursor(bytes)
        var parser = ReadingParser(vehicleID: vehicleID, channel: channel)
        do throws(JSONCursor.SyntaxError) {
            cursor.skipWhitespace()
            switch cursor.peek() {
            case UInt8(ascii: "{"):
                try parser.parse(&cursor, into: &out)
            case UInt8(ascii: "["):
                cursor.pos += 1
                cursor.skipWhitespace()
                if cursor.peek() == UInt8(ascii: "]") {
                    cursor.pos += 1
                    cursor.skipWhitespace()
                    guard cursor.atEnd else { throw cursor.error("data after the JSON value") }
                    rejectWhole(.emptyArray, "an array must hold 1 to \(limits.maxReadings) readings, got none")
                    return
                }
                var count = 0
                repeat {
                    count += 1
                    cursor.skipWhitespace()
                    if count > limits.maxReadings {
                        try cursor.skipValue(depth: 1)
                        continue
                    }
                    if cursor.peek() == UInt8(ascii: "{") {
                        try parser.parse(&cursor, into: &out, index: count - 1)
                    } else {
                        let start = cursor.pos
                        try cursor.skipValue(depth: 1)
                        out.rejections.append(Rejection(reason: .wrongType, detail: "reading \(count - 1): expected an object", range: start..<cursor.pos))
                    }
                } while try cursor.nextInContainer(closing: UInt8(ascii: "]"))
                if count > limits.maxReadings {
                    cursor.skipWhitespace()
                    guard cursor.atEnd else { throw cursor.error("data after the JSON value") }
                    rejectWhole(.tooManyReadings, "array holds \(count) readings, the limit is \(limits.maxReadings)")
                    return
                }
            case nil:
                throw cursor.error("empty payload")
            default:
                try cursor.skipValue()
                cursor.skipWhitespace()
                guard cursor.atEnd else { throw cursor.error("data after the JSON value") }
                rejectWhole(.wrongType, "payload must be a reading object or an array of them")
                return
            }
            cursor.skipWhitespace()
            guard cursor.atEnd else { throw cursor.error("data after the JSON value") }
        } catch {
            rejectWhole(.invalidJSON, "at byte \(error.offset): \(error.message)")
        }
    }
}
