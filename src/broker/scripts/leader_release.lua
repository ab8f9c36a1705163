#!lua flags=allow-oom
-- leader_release.lua: give the leadership up on a clean exit, if the caller holds it.
-- KEYS[1] leader STRING
-- ARGV[1] token
-- Returns 1 released, 0 not held.
local leader = KEYS[1]
if redis.call('GET', leader) == ARGV[1] then
  redis.call('DEL', leader)
  return 1
end
return 0
