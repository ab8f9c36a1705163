#!lua
-- fail.lua: record failed attempts, fenced by their lease. A retryable failure with retries
-- left waits out an exponential backoff in the retry set; otherwise the job is dead.
-- KEYS[1] active   ZSET
-- KEYS[2] retry    ZSET  ulid -> due (ms)
-- KEYS[3] dead     ZSET  ulid -> died at (ms)
-- KEYS[4] specs    HASH
-- KEYS[5] payloads HASH
-- KEYS[6] meta     HASH
-- KEYS[7] stats    HASH
-- KEYS[8] wake     LIST  a token wakes an idle worker, which then sleeps until the retry
--                  is due (instead of until its idle timeout)
-- KEYS[9] limits   HASH  the queue's limits: with max_active, a freed slot wakes a worker
-- ARGV[1] worker id, [2] queue name, [3] events channel, [4] backoff base ms,
-- [5] backoff cap ms, [6] dead-letter cap,
-- then 5 per job: ulid, attempt, error message, retryable (1/0), jitter factor (0.75..1.25)
-- Returns one code per job: 1 retry, 3 dead, 2 already recorded by this attempt, 0 refused
-- (lease lost).
local active, retry, dead, specs = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local payloads, meta, stats, wake_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local limits = KEYS[9]
local worker, queue, channel = ARGV[1], ARGV[2], ARGV[3]
local base, cap, dead_cap = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()
local codes, retried, buried = {}, {}, {}
for i = 7, #ARGV, 5 do
  local ulid, attempt, err = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local retryable, jitter = ARGV[i + 3] == '1', tonumber(ARGV[i + 4])
  local m = holds_lease(active, meta, ulid, attempt, worker)
  local spec = m and redis.call('HGET', specs, ulid)
  if spec then
    local hdr = decode_header(spec)
    redis.call('ZREM', active, ulid)
    m.f = (m.f or 0) + 1
    close_attempt(m, now, 'failed', err)
    m.e = err
    redis.call('HINCRBY', stats, 'failed', 1)
    if retryable and m.f <= (hdr.mr or 3) then
      local delay = math.min(cap, base * (2 ^ (m.f - 1)) * jitter)
      save_meta(meta, ulid, m)
      redis.call('ZADD', retry, now + math.floor(delay), ulid)
      codes[#codes + 1] = 1
      retried[#retried + 1] = ulid
    else
      local reason = err
      if retryable then reason = err .. ' (retries exhausted after ' .. m.f .. ' failures)' end
      bury(dead, specs, payloads, meta, stats, ulid, m, now, reason, dead_cap)
      codes[#codes + 1] = 3
      buried[#buried + 1] = ulid
    end
  else
    local code = 0
    local raw = redis.call('HGET', meta, ulid)
    if raw then
      local pm = cjson.decode(raw)
      local h = type(pm.h) == 'table' and pm.h[#pm.h]
      if pm.a == attempt and h and h.w == worker and h.o == 'failed' then code = 2 end
    end
    codes[#codes + 1] = code
  end
end
if #retried > 0 then
  wake(wake_key)
elseif #buried > 0 and redis.call('HEXISTS', limits, 'max_active') == 1 then
  wake(wake_key) -- a worker held back by max_active may start a job now
end
publish(channel, 'retry', queue, retried)
publish(channel, 'dead', queue, buried)
return codes
