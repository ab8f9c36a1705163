-- claim.lua: hand up to N jobs of one queue to a worker, each under a lease, and return
-- their specs in the same round trip. On the way it promotes due scheduled/retry jobs and
-- recovers expired leases, so a queue makes progress even when no reaper runs.
-- KEYS[1] pending   LIST
-- KEYS[2] prio      ZSET
-- KEYS[3] seq       STRING
-- KEYS[4] scheduled ZSET
-- KEYS[5] retry     ZSET
-- KEYS[6] active    ZSET  ulid -> lease deadline (ms)
-- KEYS[7] specs     HASH
-- KEYS[8] payloads  HASH
-- KEYS[9] meta      HASH
-- KEYS[10] dead     ZSET
-- KEYS[11] stats    HASH
-- KEYS[12] paused   STRING exists while the queue is paused
-- KEYS[13] wake     LIST
-- ARGV[1] worker id, [2] max jobs, [3] lease ms, [4] queue name, [5] events channel,
-- [6] housekeeping limit (due jobs / expired leases handled per call), [7] dead-letter cap
-- Returns {next_due_ms (-1 none), paused (0/1), ulid, attempt, spec, payload|false, ...}
local K = {pending = KEYS[1], prio = KEYS[2], seq = KEYS[3], active = KEYS[6],
  specs = KEYS[7], payloads = KEYS[8], meta = KEYS[9], dead = KEYS[10], stats = KEYS[11]}
local scheduled, retry, paused, wake_key = KEYS[4], KEYS[5], KEYS[12], KEYS[13]
local worker, max_jobs, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local queue, channel = ARGV[4], ARGV[5]
local limit, dead_cap = tonumber(ARGV[6]), tonumber(ARGV[7])

local now = now_ms()
local promoted = promote_due(scheduled, K.specs, K.pending, K.prio, K.seq, now, limit)
local retried = promote_due(retry, K.specs, K.pending, K.prio, K.seq, now, limit)
for _, u in ipairs(retried) do promoted[#promoted + 1] = u end
local requeued, buried = recover_expired(K, now, limit, dead_cap)
for _, u in ipairs(requeued) do promoted[#promoted + 1] = u end
publish(channel, 'pending', queue, promoted)
publish(channel, 'dead', queue, buried)

local out = {next_due_in(scheduled, retry, now), 0}
if redis.call('EXISTS', paused) == 1 then
  out[2] = 1
  return out
end

local ulids = {}
if max_jobs <= 0 then return out end
local hi = redis.call('ZRANGEBYSCORE', K.prio, '-inf', '(' .. (100 * PRIO_BAND), 'LIMIT', 0, max_jobs)
for _, u in ipairs(hi) do ulids[#ulids + 1] = u end
if #hi > 0 then redis.call('ZREM', K.prio, unpack(hi)) end
if #ulids < max_jobs then
  local mid = redis.call('LPOP', K.pending, max_jobs - #ulids)
  if mid then for _, u in ipairs(mid) do ulids[#ulids + 1] = u end end
end
if #ulids < max_jobs then
  local lo = redis.call('ZPOPMIN', K.prio, max_jobs - #ulids)
  for i = 1, #lo, 2 do ulids[#ulids + 1] = lo[i] end
end

local deadline = now + lease
local claimed = {}
for _, ulid in ipairs(ulids) do
  local spec = redis.call('HGET', K.specs, ulid)
  if spec then
    local payload = false
    if string.byte(spec, -1) == 10 then payload = redis.call('HGET', K.payloads, ulid) end
    local raw = redis.call('HGET', K.meta, ulid)
    local attempt
    if raw then
      local m = cjson.decode(raw)
      m.a = (m.a or 0) + 1
      m.w = worker
      m.st = now
      attempt = m.a
      redis.call('HSET', K.meta, ulid, cjson.encode(m))
    else
      attempt = 1
      redis.call('HSET', K.meta, ulid, cjson.encode({a = 1, f = 0, s = 0, w = worker, st = now}))
    end
    redis.call('ZADD', K.active, deadline, ulid)
    out[#out + 1] = ulid
    out[#out + 1] = attempt
    out[#out + 1] = spec
    out[#out + 1] = payload
    claimed[#claimed + 1] = ulid
  end
end
-- Work left: pass the wake token on to the next idle worker.
if #claimed > 0 and pending_count(K.pending, K.prio) > 0 then wake(wake_key) end
publish(channel, 'active', queue, claimed)
return out
