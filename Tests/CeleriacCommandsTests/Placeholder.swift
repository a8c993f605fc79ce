import Testing

@Test func placeholderCeleriacCommandsTests() { #expect(Bool(true)) }
