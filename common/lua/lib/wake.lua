-- (Shared by transition.lua, fire.lua and sweep.lua: CMake pastes this file where a script
-- says "--@include wake.lua", so the wake-up rule exists once.)
--
-- The wake-up rule. A ticket's next wake-up is the earliest of, over its clocks 1..5
-- (common/ticket_record.h field layout):
--   an open clock (no .met, no .br): its next warning time — start + span * p / 100 for the
--     first threshold p of the ticket's `wp` list above the clock's `.w` — else its deadline;
--   a clock met at or after its deadline (the deadline is the first late millisecond) whose
--     breach is not yet recorded (no .br): its met time
--     (already past, so the engine records the breach at once);
-- nothing for a met or breach-recorded clock. Returns nil when nothing is left to wake for.
--
-- Tickets are read whole (HGETALL into a field -> value table): the hash is a small listpack,
-- and HMGET of absent fields would scan it once per field.

-- CLOCK[k] = the field names of clock k: meta, due, met, breach recorded, warned.
local CLOCK = {}
for k = 1, 5 do
  local p = 'c' .. k
  CLOCK[k] = {p, p .. '.due', p .. '.met', p .. '.br', p .. '.w'}
end
local function hash_map(reply)
  local m = {}
  for i = 1, #reply, 2 do m[reply[i]] = reply[i + 1] end
  return m
end
local function parse_percents(wp)
  local out = {}
  if wp then for p in string.gmatch(wp, '%d+') do out[#out + 1] = tonumber(p) end end
  return out
end
-- `f`: the ticket's fields; `percents`: parse_percents(f.wp).
local function next_wake_of(f, percents)
  local best = nil
  for k = 1, 5 do
    local n = CLOCK[k]
    local due = tonumber(f[n[2]])
    local at = nil
    if due and f[n[4]] ~= '1' then
      local met = tonumber(f[n[3]])
      if met then
        if met >= due then at = met end
      else
        at = due
        local start = tonumber(string.match(f[n[1]] or '', '^(%d+):'))
        if start and due > start then
          local warned = tonumber(f[n[5]]) or 0
          for _, p in ipairs(percents) do
            if p > warned then
              at = math.min(due, start + math.floor((due - start) * p / 100))
              break
            end
          end
        end
      end
    end
    if at and (best == nil or at < best) then best = at end
  end
  return best
end
local function next_wake(ticket_key)
  local f = hash_map(redis.call('HGETALL', ticket_key))
  return next_wake_of(f, parse_percents(f['wp']))
end
