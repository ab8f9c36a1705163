#!lua
-- schedule_set.lua: create or replace a schedule, with its first due time.
-- KEYS[1] defs HASH  name -> spec JSON
-- KEYS[2] next ZSET  name -> next run due (ms)
-- KEYS[3] runs HASH  name -> "<due ms> <job id>" of the last run
-- ARGV[1] name, [2] spec JSON, [3] next run due (ms)
-- Returns 1 created, 0 replaced (its last run is kept).
local defs, next_runs, runs = KEYS[1], KEYS[2], KEYS[3]
local name, spec, due = ARGV[1], ARGV[2], ARGV[3]
local created = redis.call('HSET', defs, name, spec)
redis.call('ZADD', next_runs, due, name)
if created == 1 then redis.call('HDEL', runs, name) end
return created
