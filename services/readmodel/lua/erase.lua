-- Erases a live ticket's personal data from Redis (services/readmodel/personal_data.h): the
-- redacted complaint becomes the ticket's complaint ({s}:c:<id>, which get.lua reads when the
-- TicketAccepted entry is gone) and that entry, the complaint's other copy, is deleted, but only
-- once every consumer group has taken it in (delivered and acknowledged).
-- KEYS[1] {s}:t:<id>   KEYS[2] {s}:events   KEYS[3] {s}:c:<id>
-- ARGV[1] the redacted complaint (serialized dispatch.v1.Complaint)
-- Returns 1 erased, 0 not in Redis, -1 a consumer group still needs the entry: later.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local e0 = redis.call('HGET', KEYS[1], 'e0')
if e0 and redis.call('EXISTS', KEYS[2]) == 1 then
  local function parse(id)
    local ms, seq = string.match(id, '^(%d+)-(%d+)$')
    return tonumber(ms), tonumber(seq)
  end
  local em, es = parse(e0)
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[2])) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    local dm, ds = parse(info['last-delivered-id'])
    if dm < em or (dm == em and ds < es) then return -1 end
    if #redis.call('XPENDING', KEYS[2], info['name'], e0, e0, 1) > 0 then return -1 end
  end
end
redis.call('SET', KEYS[3], ARGV[1])
if e0 then redis.call('XDEL', KEYS[2], e0) end
return 1
