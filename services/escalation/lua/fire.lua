#!lua
-- The timer engine's one step on one shard: takes the shard's due tickets and, for each, in one
-- atomic script, applies what is due and re-arms its next wake-up. Because checking, changing
-- the ticket, appending the events and re-arming happen in one script, a worker killed at any
-- point loses nothing and duplicates nothing; several workers may call it at once.
--
-- First the ticket's duties that are not clocks:
--   ACCEPTED with a placement `fb`, at its routing grace (or at once if one of its clocks is
--                                missed now) -> placed on its dispatch desk (`fb`: the desk, its
--                                tier, ancestors and lead department): ROUTED, needs manual
--                                routing, event `routed`; so no breach is ever recorded against
--                                an empty unit;
--   ASSIGNED with a sign-for deadline `sfd`, at that deadline -> the assignment lapses: ROUTED,
--                                unassigned, the handler's load released, event
--                                `sign_for_lapsed`; the assign clock keeps running.
-- Then the escalation rules (DOMAIN.md section 2), per clock (1 assign .. 4 revisit,
-- 5 supervision; the supervision clock first, so that a new one armed in this step is not
-- judged at once):
--   open, now >= deadline     -> breach recorded (c<k>.br), event `breached`, against the unit
--                                that missed it: clocks 1-4 the lead unit (`unit`, its tier
--                                `ut`); the supervision clock the supervising unit, the lead
--                                unit's ancestor (`up`) at the supervising tier (`tier`). Then
--                                the ticket climbs one tier (`tier`) unless at the top tier or
--                                not yet routed, with a supervision clock (c5, next round) due
--                                after that tier's supervision time, event `escalated`;
--   open, before its deadline -> the highest warning threshold passed and not yet warned
--                                (c<k>.w), event `warned` (a skipped lower threshold is not sent);
--   met after its deadline, breach not recorded -> breach recorded (met_late), no escalation.
-- A clock met exactly at its deadline is late (the deadline is the first late millisecond, as
-- for readers). A CLOSED ticket only gets its late-met breaches recorded, then loses its timer,
-- as does a ticket that is gone. A ticket key of the wrong type or without a version is dropped
-- from the timers and reported, so one broken ticket cannot stall its shard.
--
-- Every key touched carries the shard's hash tag (the ticket keys and the handler loads
-- {s}:load are derived from KEYS[1]'s tag), so the script stays within one Redis Cluster slot.
--
-- KEYS[1] timers {s}:timers    KEYS[2] events {s}:events
-- ARGV[1] most tickets to handle   ARGV[2] now (unix ms), or "" for Redis TIME
-- ARGV[3] time-scale epoch (unix µs) and ARGV[4] scale: service now = epoch + (TIME - epoch) * scale
-- ARGV[5] top tier   ARGV[6], ARGV[7], ARGV[8] supervision time (ms) at tiers 2, 3, 4
-- Returns {handled, events appended, the shard's next wake-up (ms, -1 if none), now,
--          {what, count, what, count, ...}, broken ids...}
-- where what = kind * 100 + clock * 10 + tier (kind 1 warned, 2 breached, 3 escalated; the tier
-- the breach is charged to, the tier escalated to, the tier that was warned): the engine's metrics.
--@include wake.lua

local TIMERS, EVENTS = KEYS[1], KEYS[2]
local tag = string.match(TIMERS, '^({[^}]*})')
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  -- In microseconds, as RedisClock computes it: rounding the epoch and TIME to milliseconds
  -- first would shift service time by up to `scale` ms. (Exact in doubles: ~1.8e15 < 2^53.)
  local t = redis.call('TIME')
  local real_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local epoch_us, scale = tonumber(ARGV[3]), tonumber(ARGV[4])
  now = math.floor((epoch_us + (real_us - epoch_us) * scale) / 1000)
end
-- Numbers become strings through string.format('%d'): Lua's own conversion (`..`, or a number
-- passed to redis.call) prints with '%.14g', which costs several times more, and this script
-- converts a dozen numbers per ticket.
local fmt = string.format
local now_s = fmt('%d', now)
local top = tonumber(ARGV[5])
local SUPERVISION = {[2] = tonumber(ARGV[6]), [3] = tonumber(ARGV[7]), [4] = tonumber(ARGV[8])}
local LOAD = tag .. ':load'
-- Keys of the wrong type are refused here, before the first write (Redis does not undo a
-- script that fails halfway).
for key, want in pairs({[EVENTS] = 'stream', [LOAD] = 'hash'}) do
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('fire.lua: key ' .. key .. ' holds a ' .. t .. ', not a ' .. want)
  end
end

local PERCENTS = {}  -- parsed `wp` lists: tickets of one policy share one
local ORDER = {5, 1, 2, 3, 4}

-- The ticket in hand (the loop below sets these; the helpers read and change them). `f` holds
-- its fields, kept up to date with the changes, so the next wake-up is computed from it
-- without reading the ticket again.
local id, f, ver, unit, unit_tier, tier, up
local set, nset = {}, 0          -- HSET field/value list
local del, ndel = {}, 0          -- HDEL fields
local nevents = 0                -- events appended for the ticket in hand

local function put(field, value)
  f[field] = value
  set[nset + 1] = field
  set[nset + 2] = value
  nset = nset + 2
end
-- Removed after the HSET (see below).
local function unset(field)
  if f[field] then
    del[ndel + 1] = field
    ndel = ndel + 1
    f[field] = nil
  end
end
-- Events in the compact stream form (common/event_entry.h): no protobuf is built here.
-- One field `e` = "<version>|<at>|<clock>|<due>|<the kind's own values...>" (each argument of a
-- redis.call costs a conversion, so the values travel as one string; `own` is that string's
-- tail, already formatted).
local counts = {}
local function count(kind, k, t)
  local what = kind * 100 + k * 10 + t
  counts[what] = (counts[what] or 0) + 1
end
local function event(kind, k, due, own)
  ver = ver + 1
  redis.call('XADD', EVENTS, '*', 'type', kind, 'ticket', id, 'e',
             fmt('%d|%s|%d|%d|%s', ver, now_s, k, due, own))
  nevents = nevents + 1
end
-- The unit at tier `t` on the lead unit's path: the lead unit itself at its own tier, else its
-- ancestor (`up`, parent first, one tier up each); the lead unit when the path is not known.
local function unit_at(t)
  local n = t - unit_tier
  if n <= 0 or not up then return unit end
  for code in string.gmatch(up, '[^,]+') do
    n = n - 1
    if n == 0 then return code end
  end
  return unit
end
local function breach(k, due, by, met_late)
  local t, u = unit_tier > 0 and unit_tier or tier, unit
  if k == 5 then t, u = tier, unit_at(tier) end  -- the supervising unit missed it
  put(CLOCK[k][4], '1')
  event('breached', k, due, fmt('%d|%d|%d|', t, by, met_late and 1 or 0) .. u)  -- unit last: free text
  count(2, k, t)
end
-- The placement on the dispatch desk (`fb`, common/ticket_record.h PlacementField).
local function place()
  local due, t, dept, orgv, ups, u =
      string.match(f['fb'], '^(%d+)|(%d+)|(%d+)|([^|]*)|([^|]*)|(.*)$')
  if not u or u == '' then
    -- Malformed (written by hand?): dropped, or the ticket would wake for it again and again.
    -- The ticket waits for routing or a dispatcher as before placements existed.
    unset('fb')
    return
  end
  local desk_tier = tonumber(t)
  local to = math.max(desk_tier, tonumber(f['rtier']) or 0)
  put('st', '2')  -- ROUTED
  put('unit', u)
  put('ut', t)
  put('up', ups)
  put('tier', fmt('%d', to))
  put('manual', '1')
  put('hdl', u .. ':' .. dept .. ':1')  -- the lead share (HANDLING_ROLE_LEAD)
  put('orgv', orgv)
  unset('fb')
  unit, unit_tier, tier, up = u, desk_tier, to, ups
  event('routed', 0, tonumber(due), fmt('%s|%s|', dept, orgv) .. u)
end
-- True when one of the ticket's open clocks is at or past its deadline now.
local function clock_missed(acc)
  for k = 1, 5 do
    local n = CLOCK[k]
    local _, due = clock_times(f, n, acc)
    if due and now >= due and not f[n[3]] and f[n[4]] ~= '1' then return true end
  end
  return false
end
-- The assignment nobody signed for lapses back to the lead unit's queue.
local function lapse()
  local who, sfd = f['asg'] or '', tonumber(f['sfd']) or now
  put('st', '2')  -- ROUTED
  unset('asg')
  unset('asgu')
  unset('sfd')
  -- pcall: a load field that is not a number (edited by hand) must not fail the script after
  -- its first writes; the routing worker re-reads the loads anyway.
  if who ~= '' then redis.pcall('HINCRBY', LOAD, who, -1) end
  event('sign_for_lapsed', 1, sfd, who)
end
local function escalate(k)
  if tier < 1 or tier >= top then return end
  local to = tier + 1
  local sup = SUPERVISION[to]
  local c5 = CLOCK[5]
  local round = tonumber(string.match(f[c5[1]] or '', ':(%d+)$')) or 0
  local due = now + sup
  -- c5 starts afresh: drop its stored deadline (now start + target) and its met/breach/warning
  -- fields if it had any (also set this step).
  for j = 2, 5 do
    if f[c5[j]] then
      del[ndel + 1] = c5[j]
      ndel = ndel + 1
      f[c5[j]] = nil
    end
  end
  put(c5[1], fmt('%s:%d:1:%d', now_s, sup, round + 1))
  put('tier', fmt('%d', to))
  put('rtier', fmt('%d', to))  -- survives a re-route to a lower unit (OrgModel::LeadUnitFields)
  event('escalated', k, due, fmt('%d|%d', tier, to))
  count(3, k, to)
  tier = to
end

local due_ids = redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local appended, broken = 0, {}
local rearm, nrearm, drop, ndrop = {}, 0, {}, 0
for _, ticket_id in ipairs(due_ids) do
  id = ticket_id
  local tkey = tag .. ':t:' .. id
  local reply = redis.pcall('HGETALL', tkey)
  if reply['err'] then
    broken[#broken + 1] = id
    ndrop = ndrop + 1
    drop[ndrop] = id
  else
    f = hash_map(reply)
    local st = f['st']
    ver = tonumber(f['ver'])
    if not st or not ver then
      if st then broken[#broken + 1] = id end
      ndrop = ndrop + 1
      drop[ndrop] = id
    else
      local closed = st == CLOSED
      local wp = f['wp'] or ''
      local percents = PERCENTS[wp]
      if not percents then
        percents = parse_percents(wp)
        PERCENTS[wp] = percents
      end
      local acc = tonumber(f['acc'])
      unit, unit_tier, tier = f['unit'] or '', tonumber(f['ut']) or 0, tonumber(f['tier']) or 0
      up = f['up']
      nset, ndel, nevents = 0, 0, 0
      if st == ACCEPTED and f['fb'] then
        local grace = tonumber(string.match(f['fb'], '^(%d+)'))
        if (grace and now >= grace) or clock_missed(acc) then place() end
      elseif st == ASSIGNED and f['sfd'] then
        local sfd = tonumber(f['sfd'])
        if not sfd then
          unset('sfd')  -- malformed: wake.lua does not wake for it either
        elseif now >= sfd then
          lapse()
        end
      end
      -- The next wake-up is taken clock by clock as each is done with (only an escalation
      -- changes another clock, c5, so c5's is taken last).
      local wake = nil
      for _, k in ipairs(ORDER) do
        local n = CLOCK[k]
        local start, due = clock_times(f, n, acc)
        if due and f[n[4]] ~= '1' then
          local met = tonumber(f[n[3]])
          if met then
            if met >= due then breach(k, due, met - due, true) end
          elseif closed then
            -- nothing runs on a closed ticket
          elseif now >= due then
            breach(k, due, now - due, false)
            escalate(k)
          elseif start and due > start then
            local warned, pass = tonumber(f[n[5]]) or 0, nil
            for _, p in ipairs(percents) do
              if p > warned and start + math.floor((due - start) * p / 100) <= now then pass = p end
            end
            if pass then
              local pass_s = fmt('%d', pass)
              put(n[5], pass_s)
              event('warned', k, due, pass_s)
              count(1, k, tier)
            end
          end
        end
        if k ~= 5 then
          local at = clock_wake(f, n, start, due, percents)
          if at and (wake == nil or at < wake) then wake = at end
        end
      end
      local c5 = CLOCK[5]
      local s5, d5 = clock_times(f, c5, acc)
      local at = clock_wake(f, c5, s5, d5, percents)
      if at and (wake == nil or at < wake) then wake = at end
      at = duty_wake(f)
      if at and (wake == nil or at < wake) then wake = at end
      if nevents > 0 then
        put('ver', fmt('%d', ver))
        put('upd', now_s)
        redis.call('HSET', tkey, unpack(set, 1, nset))
        appended = appended + nevents
      end
      -- After the HSET: a fresh supervision clock drops what this step may have set on the
      -- old one too. (Also without an event: a malformed placement is dropped, see place().)
      if ndel > 0 then redis.call('HDEL', tkey, unpack(del, 1, ndel)) end
      if wake and not closed then
        rearm[nrearm + 1] = fmt('%d', wake)
        rearm[nrearm + 2] = id
        nrearm = nrearm + 2
      else
        ndrop = ndrop + 1
        drop[ndrop] = id
      end
    end
  end
end
-- Re-arm in bulk (a ZADD of many members costs far less than one call each).
for j = 1, nrearm, 512 do
  redis.call('ZADD', TIMERS, unpack(rearm, j, math.min(nrearm, j + 511)))
end
for j = 1, ndrop, 256 do
  redis.call('ZREM', TIMERS, unpack(drop, j, math.min(ndrop, j + 255)))
end
local head = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')
local flat = {}
for what, n in pairs(counts) do
  flat[#flat + 1] = what
  flat[#flat + 1] = n
end
local result = {#due_ids, appended, head[2] and tonumber(head[2]) or -1, now, flat}
for _, bad in ipairs(broken) do result[#result + 1] = bad end
return result
