#!lua flags=no-writes
-- Reads one ticket: {HGETALL of the ticket hash, the serialized complaint or false}.
-- KEYS[1] {s}:t:<id>   KEYS[2] {s}:c:<id>
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}
