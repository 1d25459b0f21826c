-- Removes a closed ticket from Redis once the archive (the read model) holds it at its current
-- version (services/readmodel/archiver.h). Its stream entries go later, with the stream's trim.
-- KEYS[1] {s}:t:<id>   KEYS[2] {s}:timers   KEYS[3] {s}:w:<id>   KEYS[4] {s}:c:<id>
-- KEYS[5] {s}:idem:<key> of its work order, or just "{s}:idem:" when it has none (the hash's
--         `ik` then completes it: a submission keyed on its request id)
-- KEYS[6] {s}:idx:acc (its entry goes with the ticket)
-- ARGV[1] ticket id   ARGV[2] the version the archive holds   ARGV[3] TicketStatus CLOSED
-- ARGV[4] when the idempotency record ends (unix ms)   ARGV[5] now (unix ms)
-- Returns 1 removed, 0 already gone, -1 changed since the archive's copy (a later version, or
-- reopened): left for a later pass.
local f = redis.call('HMGET', KEYS[1], 'ver', 'st', 'ik', 'ix')
if not f[1] then return 0 end
if f[1] ~= ARGV[2] or f[2] ~= ARGV[3] then return -1 end
local idem = KEYS[5]
if string.sub(idem, -1) == ':' then
  if f[3] then idem = idem .. f[3] else idem = nil end
end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[1])
if f[4] then redis.call('XDEL', KEYS[6], f[4]) end
if idem then
  -- A gateway may re-send a work order for a while yet: the record answers it until then, as a
  -- field of a bucket hash (keys::ArchivedIdempotency; a key with an expiry measured 162
  -- bytes, a bucket field 130 with buckets nearly empty, less as they fill). trim.lua prunes
  -- the bucket once the window has passed.
  local record = redis.call('GET', idem)
  redis.call('DEL', idem)
  if record and tonumber(ARGV[4]) > tonumber(ARGV[5]) then
    local prefix = string.match(idem, '^({s:%d+}:idem:)')
    local field = string.sub(idem, #prefix + 1)
    redis.call('HSET', prefix .. 'a' .. string.sub(redis.sha1hex(field), 1, 2), field,
               record .. ' ' .. ARGV[4])
  end
end
return 1
