#!lua
-- Applies one routing decision to an ACCEPTED ticket and acknowledges the TicketAccepted event
-- that asked for it, in one step: so a crash anywhere leaves either nothing done (the event is
-- re-delivered) or everything done (the re-delivered event finds the ticket routed and is only
-- acknowledged). Routing is therefore exactly-once in effect.
--
-- KEYS[1] ticket {s}:t:<id>   KEYS[2] timers {s}:timers   KEYS[3] events {s}:events
-- KEYS[4] handler load {s}:load (hash handler id -> open tickets assigned in this shard)
-- ARGV[1] ticket id          ARGV[2] expected version       ARGV[3] now (unix ms)
-- ARGV[4] lead unit          ARGV[5] lead department        ARGV[6] handlings ("u:d:r;...")
-- ARGV[7] needs manual routing (0/1)                        ARGV[8] organisation version
-- ARGV[9] handler id or ""   ARGV[10] handler unit          ARGV[11] TicketRouted event (pb)
-- ARGV[12] TicketAssigned event (pb) or ""                  ARGV[13] consumer group
-- ARGV[14] the TicketAccepted entry id to acknowledge
--
-- Returns {"routed", version} | {"skipped", why} | {"stale", current version}.
local function ack()
  redis.call('XACK', KEYS[3], ARGV[13], ARGV[14])
end
local state = redis.call('HMGET', KEYS[1], 'st', 'ver')
if not state[1] then
  ack()
  return {'skipped', 'no such ticket'}
end
if state[1] ~= '1' then  -- TICKET_STATUS_ACCEPTED
  ack()
  return {'skipped', 'already routed'}
end
if state[2] ~= ARGV[2] then
  return {'stale', state[2]}
end

local id = ARGV[1]
local ver = tonumber(ARGV[2]) + 1
local status = '2'  -- TICKET_STATUS_ROUTED
redis.call('HSET', KEYS[1], 'st', status, 'ver', ver, 'upd', ARGV[3], 'unit', ARGV[4],
           'dept', ARGV[5], 'hdl', ARGV[6], 'manual', ARGV[7], 'orgv', ARGV[8])
redis.call('XADD', KEYS[3], '*', 'type', 'routed', 'ticket', id, 'pb', ARGV[11])
if ARGV[9] ~= '' then
  ver = ver + 1
  status = '3'  -- TICKET_STATUS_ASSIGNED; the assign clock is met now
  redis.call('HSET', KEYS[1], 'st', status, 'ver', ver, 'asg', ARGV[9], 'asgu', ARGV[10],
             'c1.met', ARGV[3])
  redis.call('HINCRBY', KEYS[4], ARGV[9], 1)
  redis.call('XADD', KEYS[3], '*', 'type', 'assigned', 'ticket', id, 'pb', ARGV[12])
end

-- Re-arm the ticket's wake-up at its earliest open deadline.
local next_due = nil
for k = 1, 3 do
  local clock = redis.call('HMGET', KEYS[1], 'c' .. k .. '.due', 'c' .. k .. '.met')
  if clock[1] and not clock[2] then
    local due = tonumber(clock[1])
    if next_due == nil or due < next_due then next_due = due end
  end
end
if next_due then
  redis.call('ZADD', KEYS[2], next_due, id)
else
  redis.call('ZREM', KEYS[2], id)
end
ack()
return {'routed', ver}
