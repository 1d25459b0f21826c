#!lua
-- Accepts one complaint atomically, or recognises a re-send.
--
-- KEYS[1] idempotency record   {s}:idem:<key>      string "<ticket id> <fingerprint>"
-- KEYS[2] ticket               {s}:t:<id>          hash
-- KEYS[3] timers               {s}:timers          zset "<id>|<clock kind>" -> due ms
-- KEYS[4] acceptance index     {s}:idx:accepted    zset <id> -> accepted ms
-- KEYS[5] event stream         {s}:events          stream (the outbox)
-- ARGV[1] ticket id    ARGV[2] fingerprint    ARGV[3] accepted ms
-- ARGV[4] serialized dispatch.v1.TicketEvent (TicketAccepted)
-- ARGV[5] number of timers T, then T pairs (member, due ms), then the ticket's hash
--         field/value pairs up to the end.
--
-- Returns {"created", id, event stream id} | {"duplicate", id, fingerprint} | {"collision"}.
-- All checks happen before the first write, so the script either writes everything or nothing:
-- a key of the wrong type is refused here rather than failing a later write, and a script with
-- a shebang line is refused as a whole by Redis 7 when it is out of memory.
local function expect_type(key, want)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('submit.lua: key ' .. key .. ' holds a ' .. t .. ', not a ' .. want)
  end
end
local record = redis.call('GET', KEYS[1])
if record then
  local sep = string.find(record, ' ', 1, true)
  return {'duplicate', string.sub(record, 1, sep - 1), string.sub(record, sep + 1)}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'collision'}
end
local bad = expect_type(KEYS[1], 'string') or expect_type(KEYS[3], 'zset') or
            expect_type(KEYS[4], 'zset') or expect_type(KEYS[5], 'stream')
if bad then return bad end
local id = ARGV[1]
local ntimers = tonumber(ARGV[5])
local first_field = 6 + 2 * ntimers
if (#ARGV - first_field + 1) % 2 ~= 0 or #ARGV < first_field + 1 then
  return redis.error_reply('submit.lua: malformed arguments')
end
redis.call('HSET', KEYS[2], unpack(ARGV, first_field))
redis.call('SET', KEYS[1], id .. ' ' .. ARGV[2])
for i = 0, ntimers - 1 do
  redis.call('ZADD', KEYS[3], ARGV[7 + 2 * i], ARGV[6 + 2 * i])
end
redis.call('ZADD', KEYS[4], ARGV[3], id)
local event_id = redis.call('XADD', KEYS[5], '*', 'type', 'accepted', 'ticket', id, 'pb', ARGV[4])
return {'created', id, event_id}
