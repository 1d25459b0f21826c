#!/usr/bin/env bash
# One-off migration (session 6): moves the acceptance index of tickets accepted before it, the
# sorted sets {s}:idx:accepted (ticket id -> accepted unix ms), into the streams {s}:idx:acc
# that ListTickets and the sweep read now (common/keys.h). Per shard, in one script: the old
# members and any entries already in the stream are merged in (ms, id) order, the stream is
# rebuilt from them, and the sorted set is deleted. Safe to run again (a shard without a sorted
# set is left alone). Run it once the old binaries are stopped (new ones may run: each shard's
# step is atomic); a shard's step loads its whole index, blocking Redis meanwhile.
# Usage: tools/migrate/acceptance-index.sh <redis-cli connection options>
#   e.g. tools/migrate/acceptance-index.sh -s var/redis/redis.sock
set -euo pipefail
[ $# -gt 0 ] || { sed -n '2,9p' "$0"; exit 2; }
lua='
local old = redis.call("ZRANGE", KEYS[1], 0, -1, "WITHSCORES")
if #old == 0 then return 0 end
local all, seen = {}, {}
for _, e in ipairs(redis.call("XRANGE", KEYS[2], "-", "+")) do
  local id = e[2][2]
  all[#all + 1] = {tonumber(string.match(e[1], "^(%d+)")), id}
  seen[id] = true
end
for i = 1, #old, 2 do
  if not seen[old[i]] then all[#all + 1] = {tonumber(old[i + 1]), old[i]} end
end
table.sort(all, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
redis.call("DEL", KEYS[2])
for _, p in ipairs(all) do
  redis.call("XADD", KEYS[2], string.format("%d-*", p[1]), "t", p[2])
end
redis.call("DEL", KEYS[1])
return #old / 2
'
moved=0
for s in $(seq 0 255); do
  tag="$(printf '{s:%03d}' "$s")"
  n="$(redis-cli "$@" eval "$lua" 2 "$tag:idx:accepted" "$tag:idx:acc")"
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "shard $s: $n" >&2; exit 1; }
  moved=$((moved + n))
done
echo "acceptance index: $moved tickets moved into the streams"
