#!lua flags=allow-oom
-- stream_tidy.lua: the janitor's check of one job's output stream, due by its entry in the
-- streams index. While the job lives (in any state but done, dead included) the stream is
-- kept and checked again later; once the job is done (succeeded or cancelled) the stream
-- expires with the done record; once the job is gone (expired, purged, trimmed from the
-- dead-letter set) the stream is deleted.
-- KEYS[1] streams ZSET  ulid -> next check (ms)
-- KEYS[2] specs   HASH
-- KEYS[3] done:<ulid>   STRING
-- KEYS[4] stream:<ulid> STREAM
-- ARGV[1] ulid, [2] next check of a live job's stream, ms from now
-- Returns 'early' (not due: another leader checked it), 'live', 'expiring' or 'deleted'.
local streams, specs, done, stream = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ulid, check_in = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local due = redis.call('ZSCORE', streams, ulid)
if due and tonumber(due) > now then return 'early' end
if redis.call('HEXISTS', specs, ulid) == 1 then
  redis.call('ZADD', streams, now + check_in, ulid)
  return 'live'
end
local ttl = redis.call('PTTL', done)
if ttl > 0 then
  redis.call('PEXPIRE', stream, ttl)
  -- checked again once both are gone, to drop the index entry
  redis.call('ZADD', streams, now + ttl + 1000, ulid)
  return 'expiring'
end
redis.call('DEL', stream)
redis.call('ZREM', streams, ulid)
return 'deleted'
