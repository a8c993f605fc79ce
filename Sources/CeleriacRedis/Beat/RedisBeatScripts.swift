/// The Lua scripts of ``RedisBeatStore``: each compares, then changes, in one atomic step.
enum RedisBeatScripts {
    /// Extends the lease `KEYS[1]` by `ARGV[2]` ms if `ARGV[1]` holds it. Returns 1 or 0.
    static let renew = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """)

    /// Deletes the lease `KEYS[1]` if `ARGV[1]` holds it. Returns 1 or 0.
    static let release = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """)

    /// If `ARGV[1]` holds the lease `KEYS[1]` and the entry hash `KEYS[2]` has tick `ARGV[2]` (or, for an empty
    /// `ARGV[2]`, no tick at all), stores tick `ARGV[3]`, last_run `ARGV[4]`, task_id `ARGV[5]`, sent `ARGV[6]`.
    /// Returns 1 when stored, 0 otherwise.
    static let claim = RedisScript(
        """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local current = redis.call('HGET', KEYS[2], 'tick')
        if ARGV[2] == '' then
          if current then return 0 end
        elseif current ~= ARGV[2] then
          return 0
        end
        redis.call('HSET', KEYS[2], 'tick', ARGV[3], 'last_run', ARGV[4], 'task_id', ARGV[5], 'sent', ARGV[6])
        return 1
        """)

    /// If `ARGV[1]` holds the lease `KEYS[1]` and the entry `KEYS[2]` has tick `ARGV[2]`, sets `sent` to 1.
    static let markSent = RedisScript(
        """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if redis.call('HGET', KEYS[2], 'tick') ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[2], 'sent', '1')
        return 1
        """)
}
