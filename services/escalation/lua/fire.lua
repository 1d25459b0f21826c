#!lua
-- The timer engine's one step on one shard: takes the shard's due tickets and, for each, in one
-- atomic script, applies what is due and re-arms its next wake-up. Because checking, changing
-- the ticket, appending the events and re-arming happen in one script, a worker killed at any
-- point loses nothing and duplicates nothing; several workers may call it at once.
--
-- The escalation rules (DOMAIN.md section 2), per clock (1 assign .. 4 revisit, 5 supervision;
-- the supervision clock first, so that a new one armed in this step is not judged at once):
--   open, now >= deadline     -> breach recorded (c<k>.br) against the lead unit, event
--                                `breached`; then the ticket climbs one tier (`tier`) unless at
--                                the top tier or not yet routed, with a supervision clock
--                                (c5, next round) due after that tier's supervision time, event
--                                `escalated`;
--   open, before its deadline -> the highest warning threshold passed and not yet warned
--                                (c<k>.w), event `warned` (a skipped lower threshold is not sent);
--   met after its deadline, breach not recorded -> breach recorded (met_late), no escalation.
-- A ticket that is gone or CLOSED loses its timer. A key of the wrong type is dropped from the
-- timers and reported, so one broken ticket cannot stall its shard.
--
-- Every key touched carries the shard's hash tag (the ticket keys are derived from KEYS[1]'s
-- tag), so the script stays within one Redis Cluster slot.
--
-- KEYS[1] timers {s}:timers    KEYS[2] events {s}:events
-- ARGV[1] most tickets to handle   ARGV[2] now (unix ms), or "" for Redis TIME
-- ARGV[3] time-scale epoch (unix ms) and ARGV[4] scale: service now = epoch + (TIME - epoch) * scale
-- ARGV[5] top tier   ARGV[6], ARGV[7], ARGV[8] supervision time (ms) at tiers 2, 3, 4
-- Returns {handled, events appended, the shard's next wake-up (ms, -1 if none), now, broken ids...}
--@include wake.lua

local TIMERS, EVENTS = KEYS[1], KEYS[2]
local tag = string.match(TIMERS, '^({[^}]*})')
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  local real = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local epoch, scale = tonumber(ARGV[3]), tonumber(ARGV[4])
  now = epoch + math.floor((real - epoch) * scale)
end
local top = tonumber(ARGV[5])
local SUPERVISION = {[2] = tonumber(ARGV[6]), [3] = tonumber(ARGV[7]), [4] = tonumber(ARGV[8])}
local etype = redis.call('TYPE', EVENTS)['ok']
if etype ~= 'none' and etype ~= 'stream' then
  return redis.error_reply('fire.lua: key ' .. EVENTS .. ' holds a ' .. etype .. ', not a stream')
end

-- Protocol-buffer encoding of the few TicketEvent shapes this script appends
-- (dispatch/v1/events.proto). Numbers are non-negative integers below 2^53.
local function varint(n)
  local out = {}
  while n >= 128 do
    out[#out + 1] = string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  out[#out + 1] = string.char(n)
  return table.concat(out)
end
local function num(field, n)
  if not n or n == 0 then return '' end
  return varint(field * 8) .. varint(n)
end
local function bytes(field, s)
  return varint(field * 8 + 2) .. varint(#s) .. s
end
local function str(field, s)
  if not s or s == '' then return '' end
  return bytes(field, s)
end
local function ms_time(field, ms)  -- google.protobuf.Timestamp / Duration from milliseconds
  return bytes(field, num(1, math.floor(ms / 1000)) .. num(2, (ms % 1000) * 1000000))
end

local FIELDS = {unpack(WAKE_FIELDS)}
for _, f in ipairs({'st', 'ver', 'unit', 'ut', 'tier'}) do FIELDS[#FIELDS + 1] = f end
local ST, VER, UNIT, UT, TIER = #WAKE_FIELDS + 1, #WAKE_FIELDS + 2, #WAKE_FIELDS + 3,
                                #WAKE_FIELDS + 4, #WAKE_FIELDS + 5
local CLOSED = '6'

local due_ids = redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local appended, broken = 0, {}
for _, id in ipairs(due_ids) do
  local tkey = tag .. ':t:' .. id
  local h = redis.pcall('HMGET', tkey, unpack(FIELDS))
  if h['err'] then
    redis.call('ZREM', TIMERS, id)
    broken[#broken + 1] = id
  elseif not h[ST] or h[ST] == CLOSED then
    redis.call('ZREM', TIMERS, id)
  else
    local percents = parse_percents(h[1])
    local ver = tonumber(h[VER])
    local unit, unit_tier, tier = h[UNIT] or '', tonumber(h[UT]) or 0, tonumber(h[TIER]) or 0
    local set, del, events = {}, {}, {}
    local function event(kind, field, payload)
      ver = ver + 1
      local pb = str(1, id .. ':' .. ver .. ':' .. kind) .. str(2, id) .. num(3, ver) ..
                 ms_time(4, now) .. bytes(5, str(1, 'system')) .. bytes(field, payload)
      events[#events + 1] = {kind, pb}
    end
    local function clock(k)
      local b = 1 + (k - 1) * 5
      return h[b + 1], tonumber(h[b + 2]), tonumber(h[b + 3]), h[b + 4], tonumber(h[b + 5]) or 0
    end
    local function breach(k, due, by, met_late)
      local t = (k == 5) and tier or (unit_tier > 0 and unit_tier or tier)
      set['c' .. k .. '.br'] = '1'
      event('breached', 20, num(1, k) .. str(2, unit) .. num(3, t) .. ms_time(4, due) ..
                            ms_time(5, by) .. num(6, met_late and 1 or 0))
    end
    local function escalate(k)
      if tier < 1 or tier >= top then return end
      local to = tier + 1
      local sup = SUPERVISION[to]
      local meta = set['c5'] or h[1 + 4 * 5 + 1]
      local round = tonumber(string.match(meta or '', ':(%d+)$')) or 0
      set['c5'] = now .. ':' .. sup .. ':1:' .. (round + 1)
      set['c5.due'] = tostring(now + sup)
      set['c5.br'] = nil
      del[#del + 1] = 'c5.met'; del[#del + 1] = 'c5.br'; del[#del + 1] = 'c5.w'
      set['tier'] = tostring(to)
      event('escalated', 21, num(1, tier) .. num(2, to) .. num(3, k) .. ms_time(4, now + sup))
      tier = to
    end
    for _, k in ipairs({5, 1, 2, 3, 4}) do
      local meta, due, met, br, warned = clock(k)
      if due and br ~= '1' then
        if met then
          if met > due then breach(k, due, met - due, true) end
        elseif now >= due then
          breach(k, due, now - due, false)
          escalate(k)
        else
          local start = tonumber(string.match(meta or '', '^(%d+):'))
          local pass = nil
          if start and due > start then
            for _, p in ipairs(percents) do
              if p > warned and start + math.floor((due - start) * p / 100) <= now then pass = p end
            end
          end
          if pass then
            set['c' .. k .. '.w'] = tostring(pass)
            event('warned', 19, num(1, k) .. num(2, pass) .. ms_time(3, due))
          end
        end
      end
    end
    if #events > 0 then
      local dels = {}
      for _, f in ipairs(del) do if set[f] == nil then dels[#dels + 1] = f end end
      if #dels > 0 then redis.call('HDEL', tkey, unpack(dels)) end
      local args = {'ver', ver, 'upd', now}
      for f, v in pairs(set) do args[#args + 1] = f; args[#args + 1] = v end
      redis.call('HSET', tkey, unpack(args))
      for _, e in ipairs(events) do
        redis.call('XADD', EVENTS, '*', 'type', e[1], 'ticket', id, 'pb', e[2])
      end
      appended = appended + #events
    end
    local wake = next_wake(tkey)
    if wake then redis.call('ZADD', TIMERS, wake, id) else redis.call('ZREM', TIMERS, id) end
  end
end
local head = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')
local result = {#due_ids, appended, head[2] and tonumber(head[2]) or -1, now}
for _, id in ipairs(broken) do result[#result + 1] = id end
return result
