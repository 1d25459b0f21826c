-- (Shared by transition.lua, fire.lua and sweep.lua: CMake pastes this file where a script
-- says "--@include wake.lua", so the wake-up rule exists once.)
--
-- The wake-up rule. A ticket's next wake-up is the earliest of, over its clocks 1..5
-- (common/ticket_record.h field layout):
--   an open clock (no .met, no .br): its next warning time — start + span * p / 100 for the
--     first threshold p of the ticket's `wp` list above the clock's `.w` — else its deadline;
--   a clock met after its deadline whose breach is not yet recorded (no .br): its met time
--     (already past, so the engine records the breach at once);
-- nothing for a met or breach-recorded clock. Returns nil when nothing is left to wake for.
local WAKE_FIELDS = {'wp'}
for k = 1, 5 do
  local p = 'c' .. k
  for _, s in ipairs({'', '.due', '.met', '.br', '.w'}) do WAKE_FIELDS[#WAKE_FIELDS + 1] = p .. s end
end
local function parse_percents(wp)
  local out = {}
  if wp then for p in string.gmatch(wp, '%d+') do out[#out + 1] = tonumber(p) end end
  return out
end
-- `h`: the HMGET reply for WAKE_FIELDS. Also returns the parsed thresholds.
local function next_wake_of(h)
  local percents = parse_percents(h[1])
  local best = nil
  for k = 1, 5 do
    local b = 1 + (k - 1) * 5
    local meta, due, met, br, warned = h[b + 1], tonumber(h[b + 2]), tonumber(h[b + 3]), h[b + 4], tonumber(h[b + 5]) or 0
    local at = nil
    if due and br ~= '1' then
      if met then
        if met > due then at = met end
      else
        at = due
        local start = tonumber(string.match(meta or '', '^(%d+):'))
        if start and due > start then
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
  return best, percents
end
local function next_wake(ticket_key)
  return (next_wake_of(redis.call('HMGET', ticket_key, unpack(WAKE_FIELDS))))
end
