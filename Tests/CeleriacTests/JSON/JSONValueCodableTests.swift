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

    @Test func encodesInDeclarationOrder() throws {
        let value = try JSONValue(encoding: Point(x: 1, y: 2.5, label: "a"))
        #expect(value == .object(["x": 1, "y": 2.5, "label": "a"]))
        #expect(value.serialized() == #"{"x": 1, "y": 2.5, "label": "a"}"#)
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
        let data = try JSONEncoder().encode(value)
        // Foundation's encoder keeps the order of encode calls.
        #expect(try JSONValue.parse(data) == value)
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
