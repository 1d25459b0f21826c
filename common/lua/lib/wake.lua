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
-- nothing for a met or breach-recorded clock. A CLOSED ticket (st 6) wakes only for a clock
-- met late: nothing else runs on it (fire.lua). Besides the clocks: an ACCEPTED ticket (st 1)
-- wakes at its routing grace (the due time in `fb`, when fire.lua places it on its dispatch
-- desk), an ASSIGNED one (st 3) at its sign-for deadline `sfd` (when the assignment lapses).
-- Returns nil when nothing is left to wake for.
--
-- Tickets are read whole (HGETALL into a field -> value table): the hash is a small listpack,
-- and HMGET of absent fields would scan it once per field.

-- CLOCK[k] = the field names of clock k: meta, due, met, breach recorded, warned.
local CLOSED = '6'  -- the `st` of a closed ticket (TICKET_STATUS_CLOSED)
local ACCEPTED, ASSIGNED = '1', '3'  -- TICKET_STATUS_ACCEPTED, TICKET_STATUS_ASSIGNED
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
-- (`acc`); the deadline is c<k>.due, or start + target when that field is absent. `acc` is
-- the ticket's acceptance time if the caller has it as a number already (else read from f).
-- Tickets of one policy share their "=" metas, so their targets are parsed once per call of
-- the script (TARGET); fire.lua reads thousands of clocks per call.
local TARGET = {}  -- "=" meta -> target ms, or false for a working-day target ("w3")
local function clock_times(f, n, acc)
  local meta = f[n[1]]
  if not meta then return nil, nil end
  local start, ms
  if string.byte(meta, 1) == 61 then  -- '='
    start = acc or tonumber(f['acc'])
    ms = TARGET[meta]
    if ms == nil then
      ms = tonumber(string.match(meta, '^=([^:]*):')) or false
      TARGET[meta] = ms
    end
  else
    local s, t = string.match(meta, '^(%d+):([^:]*):')
    start, ms = tonumber(s), tonumber(t)
  end
  local stored = f[n[2]]
  local due = stored and tonumber(stored)
  if not due and start and ms then due = start + ms end
  return start, due
end
local function parse_percents(wp)
  local out = {}
  if wp then for p in string.gmatch(wp, '%d+') do out[#out + 1] = tonumber(p) end end
  return out
end
-- The wake-up of one clock (n = CLOCK[k]) with the start and deadline clock_times gave, or nil.
local function clock_wake(f, n, start, due, percents)
  if not due or f[n[4]] == '1' then return nil end
  local met = f[n[3]]
  if met then
    met = tonumber(met)
    if met and met >= due then return met end
    if met then return nil end
  end
  if start and due > start then
    local warned = tonumber(f[n[5]]) or 0
    for _, p in ipairs(percents) do
      if p > warned then return math.min(due, start + math.floor((due - start) * p / 100)) end
    end
  end
  return due
end
-- The wake-up that is not a clock's: the routing grace of an ACCEPTED ticket, the sign-for
-- deadline of an ASSIGNED one; nil if none.
local function duty_wake(f)
  local st = f['st']
  if st == ACCEPTED and f['fb'] then return tonumber(string.match(f['fb'], '^(%d+)')) end
  if st == ASSIGNED and f['sfd'] then return tonumber(f['sfd']) end
  return nil
end
-- `f`: the ticket's fields; `percents`: parse_percents(f.wp).
local function next_wake_of(f, percents)
  local best = duty_wake(f)
  local acc = tonumber(f['acc'])
  local closed = f['st'] == CLOSED
  for k = 1, 5 do
    local n = CLOCK[k]
    if not closed or f[n[3]] then
      local start, due = clock_times(f, n, acc)
      local at = clock_wake(f, n, start, due, percents)
      if at and (best == nil or at < best) then best = at end
    end
  end
  return best
end
local function next_wake(ticket_key)
  local f = hash_map(redis.call('HGETALL', ticket_key))
  return next_wake_of(f, parse_percents(f['wp']))
end
