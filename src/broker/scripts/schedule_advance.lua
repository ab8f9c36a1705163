#!lua
-- schedule_advance.lua: after a run's job was posted (with the run's idempotency key),
-- move the schedule to its next due time and record the run, only if nobody did it first
-- (another leader) and the schedule was not changed or deleted meanwhile.
-- KEYS[1] defs HASH
-- KEYS[2] next ZSET
-- KEYS[3] runs HASH
-- ARGV[1] name, [2] the spec JSON the run was made from, [3] the due time it replaced
-- (ms), [4] the next due time (ms), [5] the run's due time (ms), [6] the run's job id
-- Returns 1 advanced, 0 already advanced, changed or deleted (nothing written).
local defs, next_runs, runs = KEYS[1], KEYS[2], KEYS[3]
local name, spec, was, nxt, due, job = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HGET', defs, name) ~= spec then return 0 end
local score = redis.call('ZSCORE', next_runs, name)
if not score or tonumber(score) ~= tonumber(was) then return 0 end
redis.call('ZADD', next_runs, nxt, name)
redis.call('HSET', runs, name, due .. ' ' .. job)
return 1
