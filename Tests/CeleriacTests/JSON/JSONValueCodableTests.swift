import Foundation
import Testing

@testable import Celeriac

@Suite("JSONValue Codable")
struct JSONValueCodableTests {
    struct Point: Codable, Equatable {
        var x: Int
        var y: Double
        var label: String?
    }

    struct Shape: Codable, Equatable {
        var name: String
        var points: [Point]
    }

    @Test func encodesWithSortedKeys() throws {
        let value = try JSONValue(encoding: Point(x: 1, y: 2.5, label: "a"))
        #expect(value == .object(["label": "a", "x": 1, "y": 2.5]))
        #expect(value.serialized() == #"{"label": "a", "x": 1, "y": 2.5}"#)
        #expect(try JSONValue(encoding: Shape(name: "s", points: [])) == .object(["name": "s", "points": []]))
        // A JSONValue is taken as it is, order included.
        let ordered: JSONValue = .object(["z": 1, "a": 2])
        #expect(try JSONValue(encoding: ordered) == ordered)
        #expect(try JSONValue(encoding: 5) == 5)
        #expect(try JSONValue(encoding: [1.5]) == [1.5])
        #expect(throws: (any Error).self) { try JSONValue(encoding: Double.nan) }
    }

    @Test func decodes() throws {
        let value: JSONValue = .object(["name": "tri", "points": [.object(["x": 1, "y": 2]), .object(["x": 3, "y": 4.5])]])
        let shape = try value.decode(Shape.self)
        #expect(shape == Shape(name: "tri", points: [Point(x: 1, y: 2, label: nil), Point(x: 3, y: 4.5, label: nil)]))
        #expect(try JSONValue.int(5).decode(Int.self) == 5)
        #expect(try JSONValue.string("s").decode(String.self) == "s")
        #expect(try JSONValue.array([1, 2]).decode([Int].self) == [1, 2])
        #expect(try value.decode(JSONValue.self) == value)
    }

    @Test func decodingErrorsNameThePath() {
        let value: JSONValue = .object(["name": "tri", "points": [.object(["x": 1, "y": 2]), .object(["x": "three", "y": 4])]])
        do {
            _ = try value.decode(Shape.self)
            Issue.record("decoded a bad shape")
        } catch let error as JSONValueDecodingError {
            #expect(error.typeName == "Shape")
            #expect(error.codingPath == "$.points[1].x")
            #expect(error.reason.hasPrefix("expected Int"))
            #expect(error.description.hasPrefix("cannot decode Shape at $.points[1].x: "))
            #expect(!error.description.contains("three"))
        } catch {
            Issue.record("unexpected error \(error)")
        }

        do {
            _ = try JSONValue.object(["x": 1]).decode(Point.self)
            Issue.record("decoded a point without y")
        } catch let error as JSONValueDecodingError {
            #expect(error.codingPath == "$")
            #expect(error.reason == "missing key 'y'")
        } catch {
            Issue.record("unexpected error \(error)")
        }

        do {
            _ = try JSONValue.object(["x": .null, "y": 1]).decode(Point.self)
            Issue.record("decoded a null x")
        } catch let error as JSONValueDecodingError {
            #expect(error.codingPath == "$.x")
            #expect(error.reason.contains("null"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func codableThroughFoundation() throws {
        let value: JSONValue = .object(["b": [1, 2.5, "x", true, nil], "a": .object(["n": -3])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        #expect(try JSONValue.parse(data) == .object(["a": .object(["n": -3]), "b": [1, 2.5, "x", true, nil]]))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
        guard case .object(let object) = decoded else {
            Issue.record("not an object")
            return
        }
        #expect(Set(object.keys) == ["a", "b"])
        #expect(object["b"] == [1, 2.5, "x", true, nil])
        #expect(object["a"] == .object(["n": -3]))
    }

    @Test func dateEncodesWithJSONEncoderDefaults() throws {
        // Documented: no ISO text, the reference-date seconds.
        let value = try JSONValue(encoding: Date(timeIntervalSinceReferenceDate: 10))
        #expect(value.doubleValue == 10)
    }
}
