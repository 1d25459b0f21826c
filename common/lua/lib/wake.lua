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
-- Clock k's start and deadline (common/ticket_record.h): the meta field is
-- "<start>:<target>:<basis>:<round>", or "=<target>:..." for a clock started at acceptance
-- (`acc`); the deadline is c<k>.due, or start + target when that field is absent.
local function clock_times(f, n)
  local meta = f[n[1]]
  if not meta then return nil, nil end
  local start, target
  if string.byte(meta, 1) == 61 then  -- '='
    start, target = tonumber(f['acc']), string.match(meta, '^=([^:]*):')
  else
    local s, t = string.match(meta, '^(%d+):([^:]*):')
    start, target = tonumber(s), t
  end
  local due = tonumber(f[n[2]])
  if not due and start then
    local ms = tonumber(target)  -- nil for working days ("w3"), whose deadline is always stored
    if ms then due = start + ms end
  end
  return start, due
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
    local start, due = clock_times(f, n)
    local at = nil
    if due and f[n[4]] ~= '1' then
      local met = tonumber(f[n[3]])
      if met then
        if met >= due then at = met end
      else
        at = due
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
