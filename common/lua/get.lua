#!lua flags=no-writes
-- Reads one ticket: {HGETALL of the ticket hash, the serialized complaint or false}.
-- KEYS[1] {s}:t:<id>   KEYS[2] {s}:events: the complaint is field c of the TicketAccepted entry
-- the hash's e0 names (common/event_entry.h)   KEYS[3] {s}:c:<id>, where tickets accepted before
-- that layout keep their complaint (keys::LegacyComplaint; read only)
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return {hash, false} end
local e0
for i = 1, #hash, 2 do
  if hash[i] == 'e0' then e0 = hash[i + 1] end
end
if e0 then
  local entry = redis.call('XRANGE', KEYS[2], e0, e0)[1]
  if entry then
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'c' then return {hash, fields[i + 1]} end
    end
  end
end
return {hash, redis.call('GET', KEYS[3])}
