/// Random (version 4) UUIDs in the form Celery writes task ids and delivery tags: 36 lowercase characters,
/// `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, as Python's `str(uuid.uuid4())`.
///
/// Foundation's `UUID()` on Linux opens, reads and closes `/dev/urandom` for each id; a producer makes two per
/// message (the task id and the delivery tag). This takes its 16 bytes from `SystemRandomNumberGenerator`
/// (the `getrandom` system call on Linux) and formats them without the uppercase string and its lowercased copy.
public enum RandomID {
    /// A new random UUID, lowercase and hyphenated.
    public static func uuid4() -> String {
        var generator = SystemRandomNumberGenerator()
        return uuid4(using: &generator)
    }

    /// A new random UUID from `generator` (tests pass a seeded one).
    public static func uuid4<G: RandomNumberGenerator>(using generator: inout G) -> String {
        // Bytes 0-7 in `high`, 8-15 in `low`, most significant first.
        let high = (generator.next() as UInt64) & ~0xF000 | 0x4000  // version 4: byte 6's high nibble
        let low = (generator.next() as UInt64) & ~(0xC0 << 56) | (0x80 << 56)  // RFC 4122 variant: byte 8 = 10xxxxxx
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            digits.withUTF8Buffer { hex in
                var position = 0
                func put(_ value: UInt64, nibbles: Int) {
                    for index in stride(from: nibbles - 1, through: 0, by: -1) {
                        buffer[position] = hex[Int((value >> UInt64(index * 4)) & 0xF)]
                        position += 1
                    }
                }
                func dash() {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                put(high >> 32, nibbles: 8)
                dash()
                put((high >> 16) & 0xFFFF, nibbles: 4)
                dash()
                put(high & 0xFFFF, nibbles: 4)
                dash()
                put(low >> 48, nibbles: 4)
                dash()
                put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            }
            return 36
        }
    }
}
