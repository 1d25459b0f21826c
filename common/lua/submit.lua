#!lua
-- Accepts one complaint atomically, or recognises a re-send.
--
-- KEYS[1] idempotency record   {s}:idem:<key>      string "<ticket id> <fingerprint>"
-- KEYS[2] ticket               {s}:t:<id>          hash (common/ticket_record.h)
-- KEYS[3] complaint            {s}:c:<id>          string, serialized dispatch.v1.Complaint
-- KEYS[4] timers               {s}:timers          zset <id> -> next wake-up (unix ms)
-- KEYS[5] acceptance index     {s}:idx:accepted    zset <id> -> accepted (unix ms)
-- KEYS[6] event stream         {s}:events          stream (the outbox)
-- ARGV[1] ticket id   ARGV[2] fingerprint   ARGV[3] next wake-up ms   ARGV[4] accepted ms
-- ARGV[5] serialized complaint   ARGV[6] serialized dispatch.v1.TicketEvent (TicketAccepted)
-- ARGV[7..] the ticket hash's field/value pairs.
--
-- Returns {"created", id, event stream id} | {"duplicate", id, fingerprint} | {"collision"}.
-- All checks happen before the first write, so the script writes everything or nothing: a key
-- of the wrong type is refused here rather than failing a later write, and Redis 7 refuses a
-- script with a shebang line as a whole when it is out of memory.
local record = redis.call('GET', KEYS[1])
if record then
  local sep = string.find(record, ' ', 1, true)
  return {'duplicate', string.sub(record, 1, sep - 1), string.sub(record, sep + 1)}
end
if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then
  return {'collision'}
end
local function wrong_type(key, want)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('submit.lua: key ' .. key .. ' holds a ' .. t .. ', not a ' .. want)
  end
  return nil
end
local bad = wrong_type(KEYS[4], 'zset') or wrong_type(KEYS[5], 'zset') or
            wrong_type(KEYS[6], 'stream')
if bad then return bad end
if #ARGV < 8 or #ARGV % 2 ~= 0 then
  return redis.error_reply('submit.lua: malformed arguments')
end

local id = ARGV[1]
redis.call('SET', KEYS[3], ARGV[5])
redis.call('SET', KEYS[1], id .. ' ' .. ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], id)
redis.call('ZADD', KEYS[5], ARGV[4], id)
local event_id = redis.call('XADD', KEYS[6], '*', 'type', 'accepted', 'ticket', id, 'pb', ARGV[6])
-- e0: where the ticket's history starts in the shard's stream (GetTicketHistory reads from it).
redis.call('HSET', KEYS[2], 'e0', event_id, unpack(ARGV, 7))
return {'created', id, event_id}
