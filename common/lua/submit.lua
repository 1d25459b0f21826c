#!lua
-- Accepts one complaint atomically, or recognises a re-send.
--
-- KEYS[1] idempotency record   {s}:idem:<key>      string "<ticket id> <fingerprint>"
-- KEYS[2] ticket               {s}:t:<id>          hash (common/ticket_record.h)
-- KEYS[3] timers               {s}:timers          zset <id> -> next wake-up (unix ms)
-- KEYS[4] acceptance index     {s}:idx:acc         stream, entry <accepted ms>-<n>, t = <id>
-- KEYS[5] event stream         {s}:events          stream (the outbox)
-- KEYS[6] archived records     {s}:idem:a<xx>      hash <key> -> "<ticket id> <fingerprint> <end
--                                                  ms>" once the ticket is archived
--                                                  (keys::ArchivedIdempotency)
-- ARGV[1] ticket id   ARGV[2] fingerprint   ARGV[3] next wake-up ms   ARGV[4] accepted ms
-- ARGV[5] serialized complaint   ARGV[6], ARGV[7] the TicketAccepted's field name ("pc" or
-- "pb") and bytes (StoredAcceptedEvent, common/event_entry.h)   ARGV[8] the idempotency key
-- (its field in KEYS[6])   ARGV[9..] the ticket hash's field/value pairs.
-- The complaint is stored once, in the TicketAccepted entry (field c); the hash's e0 names it.
--
-- Returns {"created", id, event stream id} | {"duplicate", id, fingerprint} | {"collision"}.
-- The script writes everything or nothing. Redis refuses it as a whole when out of memory
-- (it has a shebang line); the only write that could fail later is one on a key of the wrong
-- type, so every key's type is checked before the first write.
-- The common case, a new work order, costs one call: nothing of it exists yet.
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  local record = redis.call('GET', KEYS[1])
  if not record then return {'collision'} end
  local sep = string.find(record, ' ', 1, true)
  return {'duplicate', string.sub(record, 1, sep - 1), string.sub(record, sep + 1)}
end
if #ARGV < 10 or #ARGV % 2 ~= 0 then
  return redis.error_reply('submit.lua: malformed arguments')
end
-- An archived ticket's record is a field of a bucket hash, until the end of its window; past
-- it, the work order is new.
local archived = redis.call('HGET', KEYS[6], ARGV[8])
if archived then
  local id, fp, ends = string.match(archived, '^(%S+) (%S+) (%d+)$')
  if id and tonumber(ends) > tonumber(ARGV[4]) then return {'duplicate', id, fp} end
  redis.call('HDEL', KEYS[6], ARGV[8])
end
for _, check in ipairs({{KEYS[3], 'zset'}, {KEYS[4], 'stream'}, {KEYS[5], 'stream'}}) do
  local t = redis.call('TYPE', check[1])['ok']
  if t ~= check[2] and t ~= 'none' then
    return redis.error_reply('submit.lua: cannot write ' .. check[1] .. ': it is a ' .. t ..
                             ', not a ' .. check[2])
  end
end

local id = ARGV[1]
redis.call('ZADD', KEYS[3], ARGV[3], id)
-- The index is in acceptance order: at the acceptance ms, or at the shard's latest one when a
-- later acceptance got here first (a stream's ids only grow). Should the newest entry have
-- been deleted by hand, the stream's last id can be newer still: then Redis picks the id.
local index_ms = tonumber(ARGV[4])
local top = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)[1]
if top then
  local top_ms = tonumber(string.match(top[1], '^(%d+)'))
  if top_ms > index_ms then index_ms = top_ms end
end
local indexed = redis.pcall('XADD', KEYS[4], string.format('%d-*', index_ms), 't', id)
if type(indexed) == 'table' and indexed['err'] then indexed = redis.call('XADD', KEYS[4], '*', 't', id) end
local event_id = redis.call('XADD', KEYS[5], '*', 'type', 'accepted', 'ticket', id,
                            ARGV[6], ARGV[7], 'c', ARGV[5])
redis.call('SET', KEYS[1], id .. ' ' .. ARGV[2])
-- e0: where the ticket's history starts in the shard's stream (GetTicketHistory reads from it),
-- and the entry that holds its complaint; ix: its acceptance-index entry (the archive deletes it).
redis.call('HSET', KEYS[2], 'e0', event_id, 'ix', indexed, unpack(ARGV, 9))
return {'created', id, event_id}
