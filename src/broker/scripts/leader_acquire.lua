#!lua flags=allow-oom
-- leader_acquire.lua: take the reaper leadership if nobody holds it (or keep it).
-- KEYS[1] leader STRING holder token, with a TTL
-- ARGV[1] token, [2] ttl ms
-- Returns {1, token} when the caller leads, else {0, current holder}.
local leader = KEYS[1]
local token, ttl = ARGV[1], tonumber(ARGV[2])
local holder = redis.call('GET', leader)
if not holder then
  redis.call('SET', leader, token, 'PX', ttl)
  return {1, token}
end
if holder == token then
  redis.call('PEXPIRE', leader, ttl)
  return {1, token}
end
return {0, holder}
