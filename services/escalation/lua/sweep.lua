#!lua
-- Reconciliation sweep over one shard, a slice at a time: every ticket in the acceptance index
-- that has something to wake for but no entry in the timers (or a later one than its rule
-- says) is re-armed. Our scripts arm and re-arm atomically, so this finds work only after a
-- lost write (AOF everysec after a Redis crash), a manual repair or a bug; it is the safety net
-- ENGINEERING.md asks for. Vanished tickets are skipped; a CLOSED ticket is re-armed only for a
-- clock met late whose breach is not recorded yet (the wake-up rule, wake.lua).
--
-- KEYS[1] timers {s}:timers   KEYS[2] acceptance index {s}:idx:acc (stream, field t = ticket id)
-- ARGV[1] the index entry id to continue after ("" to start)   ARGV[2] how many to look at
-- Returns {the entry id to continue after ("" when the index is done), how many were re-armed}
--@include wake.lua

local tag = string.match(KEYS[1], '^({[^}]*})')
local count = tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[2], ARGV[1] == '' and '-' or '(' .. ARGV[1], '+',
                           'COUNT', count)
local rearmed = 0
for _, entry in ipairs(entries) do
  -- [entry id, {'t', ticket id}]; anything else is skipped
  local id = entry[2][1] == 't' and entry[2][2]
  local tkey = id and tag .. ':t:' .. id
  local f = tkey and redis.call('TYPE', tkey)['ok'] == 'hash' and
            hash_map(redis.call('HGETALL', tkey))
  if f then
    local wake = next_wake_of(f, parse_percents(f['wp']))
    local armed = tonumber(redis.call('ZSCORE', KEYS[1], id))
    if wake and (armed == nil or armed > wake) then
      redis.call('ZADD', KEYS[1], wake, id)
      rearmed = rearmed + 1
    end
  end
end
if #entries < count then return {'', rearmed} end
return {entries[#entries][1], rearmed}
