-- Trims one shard's event stream and acceptance index below what nobody needs any more
-- (services/readmodel/archiver.h). Redis 7.0's XTRIM knows nothing of consumer groups, so the
-- horizon is computed here, in the same script as the trim:
--   below `keep` (entries younger than the stream retention stay, for resuming watches);
--   below every consumer group's first pending entry and the entry after its last delivered
--   one (nothing a group has not acknowledged, or not yet read, is lost);
--   and a live ticket's complaint, whose only copy is its TicketAccepted entry (e0), is first
--   copied to {s}:c:<id> (keys::LegacyComplaint, which TicketStore::Get reads when e0 is gone).
-- The acceptance index walk finds the live tickets (see below); the entries of tickets gone
-- from Redis are deleted from the index.
-- KEYS[1] {s}:events   KEYS[2] {s}:idx:acc   KEYS[3] {s}:trim (where the walk goes on)
-- ARGV[1] stream retention (ms): entries younger than this by Redis's clock (the clock of
--         entry ids) stay   ARGV[2] the shard's key prefix "{s}:"   ARGV[3] most index entries
-- to walk   ARGV[4] now, service time (unix ms): archived idempotency records that ended by
-- then are pruned
-- Returns {event entries trimmed, index entries trimmed, complaints moved, the horizon, index
-- entries walked, idempotency records pruned}.
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end
local function after(id)
  local ms, seq = parse(id)
  return string.format('%.0f-%.0f', ms, seq + 1)
end

local now = redis.call('TIME')
local h = string.format('%.0f-0', math.max(0, tonumber(now[1]) * 1000 +
                                              math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[1])))
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    local bound = after(info['last-delivered-id'])
    if info['pending'] > 0 then
      local first = redis.call('XPENDING', KEYS[1], info['name'])[2]
      if less(first, bound) then bound = first end
    end
    if less(bound, h) then h = bound end
  end
end

-- Live tickets that may have entries below h: move their complaints out. Index entries and
-- TicketAccepted entries are both appended by submit.lua, so the index's order is the order of
-- the tickets' e0 ids (whatever the intake clock said): walking the index oldest first, the
-- first live ticket whose e0 is at or past h ends the walk. The walk resumes where the last
-- pass left it (KEYS[3]): every live ticket before that point has its complaint copied out
-- already, and new entries only ever come after it, so a pass costs what arrived since, not
-- every open ticket again. Entries of tickets gone from Redis are deleted as they are met
-- (the archive deletes a ticket's own entry with it: `ix`).
local prefix = ARGV[2]
local limit = tonumber(ARGV[3])
local moved, index_trimmed, walked = 0, 0, 0
local cursor = redis.call('HMGET', KEYS[3], 'at', 'e0')
local done_with, last_live_e0 = cursor[1], cursor[2]
local start = '-'
if done_with then start = '(' .. done_with end
local entries = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', limit)
local complete = #entries < limit
for _, e in ipairs(entries) do
  walked = walked + 1
  local id = e[2][2]
  local ticket = prefix .. 't:' .. id
  local e0 = redis.call('HGET', ticket, 'e0')
  if not e0 and redis.call('EXISTS', ticket) == 0 then
    redis.call('XDEL', KEYS[2], e[1])
    index_trimmed = index_trimmed + 1
  elseif e0 and not less(e0, h) then
    complete = true
    break
  elseif e0 then
    last_live_e0 = e0
    local copy = prefix .. 'c:' .. id
    if redis.call('EXISTS', copy) == 0 then
      local entry = redis.call('XRANGE', KEYS[1], e0, e0)[1]
      if entry then
        for i = 1, #entry[2], 2 do
          if entry[2][i] == 'c' then
            redis.call('SET', copy, entry[2][i + 1])
            moved = moved + 1
          end
        end
      end
    end
  end
  done_with = e[1]
end
if done_with then
  redis.call('HSET', KEYS[3], 'at', done_with)
  if last_live_e0 then redis.call('HSET', KEYS[3], 'e0', last_live_e0) end
end
if not complete then
  -- Tickets past the walk came later: their e0 ids are past the last live one walked. With
  -- none walked, nothing is known of them: no trim this pass (the walk moves on next time).
  local bound = '0-0'
  if last_live_e0 then bound = after(last_live_e0) end
  if less(bound, h) then h = bound end
end

local trimmed = 0
if redis.call('EXISTS', KEYS[1]) == 1 then trimmed = redis.call('XTRIM', KEYS[1], 'MINID', h) end

-- One bucket of archived tickets' idempotency records a pass (keys::ArchivedIdempotency, 256 a
-- shard, in turn): the records past their end go (submit.lua ignores them already).
local pruned = 0
local b = redis.call('HINCRBY', KEYS[3], 'b', 1) % 256
local bucket = prefix .. 'idem:a' .. string.format('%02x', b)
local records = redis.call('HGETALL', bucket)
for i = 1, #records, 2 do
  local ends = tonumber(string.match(records[i + 1], ' (%d+)$'))
  if not ends or ends <= tonumber(ARGV[4]) then
    redis.call('HDEL', bucket, records[i])
    pruned = pruned + 1
  end
end
return {trimmed, index_trimmed, moved, h, walked, pruned}
