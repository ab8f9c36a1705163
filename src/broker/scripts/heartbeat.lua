#!lua flags=allow-oom
-- heartbeat.lua: a worker says it is alive and what it is doing.
-- KEYS[1] workers  ZSET  worker id -> last heartbeat (ms, Redis clock)
-- KEYS[2] worker   HASH  this worker's description, expiring with its heartbeat
-- ARGV[1] worker id, [2] ttl ms of the description, then field, value pairs
-- Returns the heartbeat time (ms).
local workers, worker = KEYS[1], KEYS[2]
local id, ttl = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
redis.call('ZADD', workers, now, id)
local fields = {'seen', now}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', worker, unpack(fields))
redis.call('PEXPIRE', worker, ttl)
return now
