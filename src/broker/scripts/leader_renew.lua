#!lua flags=allow-oom
-- leader_renew.lua: extend the leadership, only while the caller's token still holds it
-- (a leader whose key expired must not take it back silently: it stops its duties first).
-- KEYS[1] leader STRING
-- ARGV[1] token, [2] ttl ms
-- Returns 1 renewed, 0 lost.
local leader = KEYS[1]
if redis.call('GET', leader) == ARGV[1] then
  redis.call('PEXPIRE', leader, tonumber(ARGV[2]))
  return 1
end
return 0
