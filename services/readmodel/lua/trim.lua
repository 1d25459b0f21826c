-- Trims one shard's event stream and acceptance index below what nobody needs any more
-- (services/readmodel/archiver.h). Redis 7.0's XTRIM knows nothing of consumer groups, so the
-- horizon is computed here, in the same script as the trim:
--   below `keep` (entries younger than the stream retention stay, for resuming watches);
--   below every consumer group's first pending entry and the entry after its last delivered
--   one (nothing a group has not acknowledged, or not yet read, is lost);
--   and a live ticket's complaint, whose only copy is its TicketAccepted entry (e0), is first
--   copied to {s}:c:<id> (keys::LegacyComplaint, which TicketStore::Get reads when e0 is gone).
-- The acceptance index walk finds the live tickets: in acceptance order, oldest first; the
-- entries before the first live ticket (tickets gone from Redis) are trimmed from the index.
-- KEYS[1] {s}:events   KEYS[2] {s}:idx:acc
-- ARGV[1] stream retention (ms): entries younger than this by Redis's clock (the clock of
--         entry ids) stay   ARGV[2] the shard's key prefix "{s}:"   ARGV[3] most index entries
-- to walk   ARGV[4] index slack (ms): how much later than its acceptance a ticket may be
-- indexed (queries.cc kIndexSlack)
-- Returns {event entries trimmed, index entries trimmed, complaints moved, the horizon}.
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

-- Live tickets that may have entries below h: move their complaints out.
local prefix = ARGV[2]
local limit = tonumber(ARGV[3])
local slack = tonumber(ARGV[4])
local h_ms = parse(h)
local moved, first_live, last_walked = 0, nil, nil
local entries = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', limit)
local complete = #entries < limit
for _, e in ipairs(entries) do
  local index_ms = parse(e[1])
  -- Indexed at or after h + slack: accepted, and so its entries appended, at or after h.
  if index_ms > h_ms + slack then
    complete = true
    break
  end
  last_walked = e[1]
  local id = e[2][2]
  local ticket = prefix .. 't:' .. id
  if redis.call('EXISTS', ticket) == 1 then
    if not first_live then first_live = e[1] end
    local e0 = redis.call('HGET', ticket, 'e0')
    local copy = prefix .. 'c:' .. id
    if e0 and less(e0, h) and redis.call('EXISTS', copy) == 0 then
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
end
if not complete and last_walked then
  -- Tickets past the walk were indexed after the last one walked: accepted no earlier than
  -- that minus the slack.
  local bound = string.format('%.0f-0', parse(last_walked) - slack - 1)
  if less(bound, h) then h = bound end
end

local trimmed = 0
if redis.call('EXISTS', KEYS[1]) == 1 then trimmed = redis.call('XTRIM', KEYS[1], 'MINID', h) end
local index_trimmed = 0
local index_min = first_live
if not index_min and last_walked then index_min = after(last_walked) end
if index_min then index_trimmed = redis.call('XTRIM', KEYS[2], 'MINID', index_min) end
return {trimmed, index_trimmed, moved, h}
