#!lua flags=allow-oom
-- worker_leave.lua: take workers out of the registry (a clean exit, or the reaper pruning
-- workers whose heartbeat stopped, once their jobs are recovered).
-- KEYS[1] workers ZSET
-- KEYS[2..] worker HASH of each id in ARGV order
-- ARGV: the worker ids
-- Returns how many were registered.
local workers = KEYS[1]
local n = 0
for i = 1, #ARGV do
  n = n + redis.call('ZREM', workers, ARGV[i])
  redis.call('DEL', KEYS[i + 1])
end
return n
