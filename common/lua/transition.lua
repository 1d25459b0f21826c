#!lua
-- One change to an existing ticket, applied atomically: the version check, the status check,
-- the request-id check (idempotent retries), the field updates, counters, the re-armed wake-up,
-- the events, and optionally the acknowledgement of the stream entry that asked for the change
-- (so a consumer's change and its XACK are one step). Every check comes before the first write.
--
-- KEYS[1] ticket {s}:t:<id>    KEYS[2] timers {s}:timers    KEYS[3] events {s}:events
-- KEYS[4] write record {s}:w:<id> (hash request id -> fingerprint)
-- KEYS[5] returns per unit {s}:returns   KEYS[6] assigned tickets per handler {s}:load
-- ARGV[1] ticket id     ARGV[2] expected version     ARGV[3] allowed statuses, e.g. ",2,3,"
-- ARGV[4] request id    ARGV[5] request fingerprint  ARGV[6] now (unix ms)
-- ARGV[7] consumer group and ARGV[8] entry id of KEYS[3] to acknowledge, or "" ""; acknowledged
--         unless the answer is "stale" or "conflict" (those leave the entry to be retried)
-- ARGV[9] N fields to set, then N field/value pairs
-- then M fields to delete, then M names
-- then K counter increments, then K triples: "returns" or "load", field, amount
-- then J ticket-hash increments, then J field/amount pairs
-- then E events, then E (type, serialized TicketEvent) pairs, in order (versions +1, +2 ...)
--
-- Returns {"ok", new version} | {"replay", version} | {"conflict"} | {"gone"} |
--         {"stale", version} | {"status", status}.
--@include wake.lua

local function ack()
  if ARGV[8] ~= '' then redis.call('XACK', KEYS[3], ARGV[7], ARGV[8]) end
end
local state = redis.call('HMGET', KEYS[1], 'st', 'ver')
if not state[1] then
  ack()
  return {'gone'}
end
local seen = redis.call('HGET', KEYS[4], ARGV[4])
if seen then
  if seen ~= ARGV[5] then return {'conflict'} end
  ack()
  return {'replay', tonumber(state[2])}
end
if state[2] ~= ARGV[2] then return {'stale', tonumber(state[2])} end
if not string.find(ARGV[3], ',' .. state[1] .. ',', 1, true) then
  ack()
  return {'status', tonumber(state[1])}
end
-- Refuse keys of the wrong type here, before the first write (Redis does not roll back a script
-- that fails halfway). KEYS[1] and KEYS[4] were read above, which refuses a wrong type already.
for k, want in pairs({[2] = 'zset', [3] = 'stream', [5] = 'hash', [6] = 'hash'}) do
  local t = redis.call('TYPE', KEYS[k])['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('transition.lua: key ' .. KEYS[k] .. ' holds a ' .. t .. ', not a ' .. want)
  end
end

-- The lists are used where they stand in ARGV.
local i = 9
local n = tonumber(ARGV[i])
local set_from = i + 1
i = set_from + 2 * n
local m = tonumber(ARGV[i])
local del_from = i + 1
i = del_from + m
local kc = tonumber(ARGV[i])
local counters_from = i + 1
i = counters_from + 3 * kc
local j = tonumber(ARGV[i])
local incrs_from = i + 1
i = incrs_from + 2 * j
local e = tonumber(ARGV[i])
local events_from = i + 1

local id = ARGV[1]
local ver = tonumber(ARGV[2]) + e
if m > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, del_from, del_from + m - 1)) end
redis.call('HSET', KEYS[1], 'ver', ver, 'upd', ARGV[6], unpack(ARGV, set_from, set_from + 2 * n - 1))
for k = counters_from, counters_from + 3 * kc - 1, 3 do
  redis.call('HINCRBY', ARGV[k] == 'load' and KEYS[6] or KEYS[5], ARGV[k + 1], ARGV[k + 2])
end
for k = incrs_from, incrs_from + 2 * j - 1, 2 do redis.call('HINCRBY', KEYS[1], ARGV[k], ARGV[k + 1]) end
for k = events_from, events_from + 2 * e - 1, 2 do
  redis.call('XADD', KEYS[3], '*', 'type', ARGV[k], 'ticket', id, 'pb', ARGV[k + 1])
end
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])

local next_due = next_wake(KEYS[1])
if next_due then redis.call('ZADD', KEYS[2], next_due, id) else redis.call('ZREM', KEYS[2], id) end
ack()
return {'ok', ver}
