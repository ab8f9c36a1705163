#!lua flags=allow-oom
-- renew.lua: extend the leases of one worker's in-flight jobs of one queue, in one call.
-- KEYS[1] active ZSET  ulid -> lease deadline (ms)
-- KEYS[2] meta   HASH
-- ARGV[1] worker id, [2] lease ms, then pairs: ulid, attempt
-- Returns the ulids whose lease the worker no longer holds (cancelled, or expired and
-- handed to another worker): their handlers should stop.
local active, meta = KEYS[1], KEYS[2]
local worker, lease = ARGV[1], tonumber(ARGV[2])
local deadline = now_ms() + lease
local lost = {}
for i = 3, #ARGV, 2 do
  local ulid, attempt = ARGV[i], tonumber(ARGV[i + 1])
  if holds_lease(active, meta, ulid, attempt, worker) then
    redis.call('ZADD', active, 'XX', deadline, ulid)
  else
    lost[#lost + 1] = ulid
  end
end
return lost
