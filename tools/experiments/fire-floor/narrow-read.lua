-- Floor 2 (present contracts, no rules, narrow read): as writes-only.lua, but reads only the
-- ticket's version (HGET) instead of HGETALL into a field table.
local TIMERS, EVENTS = KEYS[1], KEYS[2]
local tag = string.match(TIMERS, '^({[^}]*})')
local now = tonumber(ARGV[2])
local fmt = string.format
local now_s = fmt('%d', now)
local ids = redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local rearm, nrearm = {}, 0
for _, id in ipairs(ids) do
  local tkey = tag .. ':t:' .. id
  local ver = tonumber(redis.call('HGET', tkey, 'ver'))
  redis.call('XADD', EVENTS, '*', 'type', 'breached', 'ticket', id, 'e', fmt('%d|%s|%d|%d|%s', ver + 1, now_s, 1, now - 5, '1|5|0|430923100001'))
  redis.call('XADD', EVENTS, '*', 'type', 'escalated', 'ticket', id, 'e', fmt('%d|%s|%d|%d|%s', ver + 2, now_s, 1, now + 86400000, '1|2'))
  redis.call('HSET', tkey, 'c1.br', '1', 'c5', fmt('%s:%d:1:%d', now_s, 86400000, 1), 'tier', '2', 'ver', fmt('%d', ver + 2), 'upd', now_s)
  rearm[nrearm + 1] = fmt('%d', now + 10000000); rearm[nrearm + 2] = id; nrearm = nrearm + 2
end
for j = 1, nrearm, 512 do
  redis.call('ZADD', TIMERS, unpack(rearm, j, math.min(nrearm, j + 511)))
end
local head = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')
return {#ids, 2 * #ids, head[2] and tonumber(head[2]) or -1, now}
