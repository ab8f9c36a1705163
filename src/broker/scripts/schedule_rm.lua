#!lua flags=allow-oom
-- schedule_rm.lua: delete a schedule (runs already posted stay in their queue).
-- KEYS[1] defs HASH
-- KEYS[2] next ZSET
-- KEYS[3] runs HASH
-- ARGV[1] name
-- Returns 1 deleted, 0 no such schedule.
local defs, next_runs, runs, name = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local existed = redis.call('HDEL', defs, name)
redis.call('ZREM', next_runs, name)
redis.call('HDEL', runs, name)
return existed
