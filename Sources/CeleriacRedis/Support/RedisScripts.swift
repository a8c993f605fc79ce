/// The Lua scripts of the Redis broker. Each one keeps kombu's key layout; together they make every
/// multi-key change atomic without `WATCH` retries.
enum RedisScripts {
    /// Pops up to `ARGV[1]` messages from the lists `KEYS[3...]` in order and records each one as unacked
    /// (`ZADD unacked_index ARGV[2] tag`, `HSET unacked tag [envelope, "", "queue"]`), as kombu's `QoS.append`
    /// does after a `BRPOP`, in the same atomic step, so a crash between the pop and the bookkeeping can't
    /// lose a message.
    ///
    /// `ARGV[3 + 2i]` is the raw queue name of list `i`, `ARGV[4 + 2i]` its JSON string. A message is
    /// recorded here only in kombu's usual shape (a string `delivery_tag` and a `delivery_info` of exchange
    /// `""` and the queue as routing key); its unacked value is then the envelope bytes as popped inside the
    /// JSON list, byte-identical to kombu's `json.dumps` for envelopes that Python or Celeriac wrote. Others
    /// come back with an empty tag for the caller to record.
    ///
    /// Returns a flat array of `list index (1-based), envelope, tag or "", redelivered 0/1` per message.
    static let popAndTrack = RedisScript(
        """
        local limit = tonumber(ARGV[1])
        local now = ARGV[2]
        local out = {}
        for i = 3, #KEYS do
          if limit <= 0 then break end
          local q = (i - 3) * 2 + 3
          while limit > 0 do
            local item = redis.call('RPOP', KEYS[i])
            if not item then break end
            limit = limit - 1
            local tag = ''
            local redelivered = 0
            local ok, message = pcall(cjson.decode, item)
            if ok and type(message) == 'table' then
              local headers = message['headers']
              local props = message['properties']
              if type(headers) == 'table' and headers['redelivered'] == true then redelivered = 1 end
              if type(props) == 'table' then
                local info = props['delivery_info']
                if type(info) == 'table' then
                  if info['redelivered'] == true then redelivered = 1 end
                  if type(props['delivery_tag']) == 'string' and props['delivery_tag'] ~= ''
                    and info['exchange'] == '' and info['routing_key'] == ARGV[q] then
                    tag = props['delivery_tag']
                  end
                end
              end
            end
            if tag ~= '' then
              redis.call('ZADD', KEYS[2], now, tag)
              redis.call('HSET', KEYS[1], tag, '[' .. item .. ', "", ' .. ARGV[q + 1] .. ']')
            end
            out[#out + 1] = i - 2
            out[#out + 1] = item
            out[#out + 1] = tag
            out[#out + 1] = redelivered
          end
        end
        return out
        """)

    /// kombu's `restore_by_tag` for many tags at once: for each `tag, expected, payload` triple in
    /// `ARGV[3...]` whose `unacked` entry still equals `expected` (and, when `ARGV[2]` is not empty, whose
    /// `unacked_index` score is at most `ARGV[2]`), `ZREM` + `HDEL` it and push `payload` with `ARGV[1]`
    /// (`RPUSH`: the front of the queue; `LPUSH`: the back) onto `KEYS[2 + i]`.
    /// `KEYS[1]` is `unacked`, `KEYS[2]` `unacked_index`. Returns how many were restored.
    static let restore = RedisScript(
        """
        local restored = 0
        for i = 3, #KEYS do
          local a = (i - 3) * 3 + 3
          local tag = ARGV[a]
          local ok = redis.call('HGET', KEYS[1], tag) == ARGV[a + 1]
          if ok and ARGV[2] ~= '' then
            local score = redis.call('ZSCORE', KEYS[2], tag)
            ok = score and tonumber(score) <= tonumber(ARGV[2])
          end
          if ok then
            redis.call('ZREM', KEYS[2], tag)
            redis.call('HDEL', KEYS[1], tag)
            redis.call(ARGV[1], KEYS[i], ARGV[a + 2])
            restored = restored + 1
          end
        end
        return restored
        """)

    /// Releases kombu's `unacked_mutex` only if it still holds our token (kombu's lock release).
    static let releaseMutex = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """)

    /// Records revoked ids (`ARGV`) in the sorted set `KEYS[1]`, each scored by a new `INCR` of `KEYS[2]`;
    /// ids already there keep their sequence. Keeps the newest 50,000 (Celery's `REVOKES_MAX`).
    static let revoke = RedisScript(
        """
        for i = 1, #ARGV do
          if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
            redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[i])
          end
        end
        local extra = redis.call('ZCARD', KEYS[1]) - 50000
        if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
        return 1
        """)
}

extension RedisScripts {
    /// kombu 5.7's `REFRESH_BINDING`: `SADD KEYS[1] ARGV[1]` (the binding member) and, in `KEYS[2]`
    /// (`_kombu.binding_deadlines`), push the exchange `ARGV[2]`'s deadline to server time + `ARGV[3]` ms.
    static let refreshBinding = RedisScript(
        """
        redis.call('SADD', KEYS[1], ARGV[1])
        local now = redis.call('TIME')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        redis.call('ZADD', KEYS[2], 'GT', ms + tonumber(ARGV[3]), ARGV[2])
        """)

    /// Moves a dead letter back to a queue: if `HDEL KEYS[1] ARGV[1]` removed it, `ZREM KEYS[2] ARGV[1]` and
    /// `LPUSH KEYS[3] ARGV[2]`. Returns 1 when it was there.
    static let requeueDeadLetter = RedisScript(
        """
        if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
          redis.call('ZREM', KEYS[2], ARGV[1])
          redis.call('LPUSH', KEYS[3], ARGV[2])
          return 1
        end
        return 0
        """)
}
