import Testing

@Test func placeholderCeleriacTests() { #expect(Bool(true)) }
