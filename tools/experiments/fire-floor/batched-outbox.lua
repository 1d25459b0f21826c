-- Floor 3 (changed event contract, no rules, narrow read): as narrow-read.lua, but the two
-- events of every ticket go into ONE stream entry per script call (a batched outbox entry)
-- instead of two entries per ticket. The cheapest shape found that still reads each ticket's
-- version, updates its hash, records both events and re-arms it.
local TIMERS, EVENTS = KEYS[1], KEYS[2]
local tag = string.match(TIMERS, '^({[^}]*})')
local now = tonumber(ARGV[2])
local fmt = string.format
local now_s = fmt('%d', now)
local ids = redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local rearm, nrearm = {}, 0
local batch, nbatch = {}, 0
for _, id in ipairs(ids) do
  local tkey = tag .. ':t:' .. id
  local ver = tonumber(redis.call('HGET', tkey, 'ver'))
  batch[nbatch + 1] = fmt('breached|%s|%d|%s|%d|%d|%s', id, ver + 1, now_s, 1, now - 5, '1|5|0|430923100001')
  batch[nbatch + 2] = fmt('escalated|%s|%d|%s|%d|%d|%s', id, ver + 2, now_s, 1, now + 86400000, '1|2')
  nbatch = nbatch + 2
  redis.call('HSET', tkey, 'c1.br', '1', 'c5', fmt('%s:%d:1:%d', now_s, 86400000, 1), 'tier', '2', 'ver', fmt('%d', ver + 2), 'upd', now_s)
  rearm[nrearm + 1] = fmt('%d', now + 10000000); rearm[nrearm + 2] = id; nrearm = nrearm + 2
end
if nbatch > 0 then redis.call('XADD', EVENTS, '*', 'batch', table.concat(batch, '\n')) end
for j = 1, nrearm, 512 do
  redis.call('ZADD', TIMERS, unpack(rearm, j, math.min(nrearm, j + 511)))
end
local head = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')
return {#ids, 2 * #ids, head[2] and tonumber(head[2]) or -1, now}
