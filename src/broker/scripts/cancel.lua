#!lua
-- cancel.lua: cancel a job that has not finished. A running job's worker is told on the
-- cancel channel (and its next lease renewal is refused), so its handler stops.
-- KEYS[1] pending   LIST  (read for nothing: a cancelled priority-0 job's entry stays)
-- KEYS[2] prio      ZSET
-- KEYS[3] scheduled ZSET
-- KEYS[4] retry     ZSET
-- KEYS[5] active    ZSET
-- KEYS[6] dead      ZSET
-- KEYS[7] specs     HASH
-- KEYS[8] payloads  HASH
-- KEYS[9] meta      HASH
-- KEYS[10] stats    HASH
-- KEYS[11] done:<ulid> STRING
-- KEYS[12] notify   LIST  callbacks for the reaper to send
-- KEYS[13] recent_cancelled ZSET  ulid -> cancelled at (ms), capped: what browsing lists
-- ARGV[1] ulid, [2] queue name, [3] events channel, [4] cancel channel, [5] default ttl ms,
-- [6] most entries kept in recent_cancelled (0: none)
-- Returns {'cancelled', previous state} or {'final', state} (already terminal) or
-- {'unknown'}.
local pending, prio, scheduled, retry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local active, dead, specs, payloads = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local meta, stats, done, notify = KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local ulid, queue, channel, cancel_channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local default_ttl = ARGV[5]
local recent, recent_cap = KEYS[13], tonumber(ARGV[6])

local prev = read_done(done)
if prev then return {'final', prev[1]} end
local spec = redis.call('HGET', specs, ulid)
if not spec then return {'unknown'} end
if redis.call('ZSCORE', dead, ulid) then return {'final', 'dead'} end

local now = now_ms()
local m = load_meta(meta, ulid)
local was
if redis.call('ZREM', active, ulid) == 1 then
  was = 'active'
  close_attempt(m, now, 'cancelled', 'cancelled while running')
  redis.call('PUBLISH', cancel_channel, queue .. '.' .. ulid)
elseif redis.call('ZREM', scheduled, ulid) == 1 then
  was = 'scheduled'
elseif redis.call('ZREM', retry, ulid) == 1 then
  was = 'retry'
elseif redis.call('ZREM', prio, ulid) == 1 then
  was = 'pending'
else
  -- a priority-0 job stays in the pending list (finding it there would walk the
  -- backlog): claim skips a ulid whose job is gone, and the queue counts such entries
  -- ('stale') so its pending count stays true
  redis.call('HINCRBY', stats, 'stale', 1)
  was = 'pending'
end
m.ft = now
m.p = nil
m.pm = nil
local hdr_text = header_of(spec)
write_done(done, 'cancelled', hdr_text, cjson.encode(m), '', '',
  result_ttl(hdr_text, default_ttl))
forget(specs, payloads, meta, ulid)
-- a running job's worker sends its callback when the handler stops; nobody else would
if was ~= 'active' then notify_final(notify, ulid, hdr_text) end
redis.call('HINCRBY', stats, 'cancelled', 1)
if recent_cap > 0 then
  redis.call('ZADD', recent, now, ulid)
  redis.call('ZREMRANGEBYRANK', recent, 0, -(recent_cap + 1))
end
publish(channel, 'cancelled', queue, {ulid})
return {'cancelled', was}
