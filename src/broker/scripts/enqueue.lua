-- enqueue.lua: add jobs to one queue, all or none.
-- KEYS[1] pending   LIST  ulids of priority-0 jobs, oldest first
-- KEYS[2] prio      ZSET  ulids of other priorities, by band and sequence
-- KEYS[3] seq       STRING counter that orders the prio ZSET within a band
-- KEYS[4] scheduled ZSET  delayed jobs by due time (ms)
-- KEYS[5] retry     ZSET  jobs waiting out a backoff (counted for max_pending)
-- KEYS[6] specs     HASH  ulid -> header .. "\n" .. payload
-- KEYS[7] payloads  HASH  ulid -> large payload
-- KEYS[8] stats     HASH  per-queue totals
-- KEYS[9] wake      LIST  wake-up token for idle workers
-- KEYS[10..] idem:<key> STRING, one per job that has an idempotency key, in job order
-- ARGV[1] max waiting jobs (pending + scheduled + retry), 0 = no limit
-- ARGV[2] number of jobs n
-- ARGV[3] inline payload limit (bytes)
-- then 7 per job: ulid, priority, delay ms (-1 none), run_at ms (-1 none),
--   idempotency ttl ms (0 = no key), header JSON (without "t"), payload
-- Returns {'ok', ulid1, created1, ulid2, created2, ...} (created 0 = an idempotent repeat,
-- the ulid is the first job's) or {'full', waiting}.
local pending, prio, seq, scheduled = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local retry, specs, payloads, stats, wake_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local max_waiting = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local inline_limit = tonumber(ARGV[3])

local now = now_ms()
local now_s = tostring(now) -- made once: Lua turns numbers into text with sprintf
local out = {'ok'}
local fresh = {}
local next_idem = 10
local seen = {}

-- First pass: resolve idempotent repeats (earlier posts, or the same key twice in this
-- batch), so the queue-full check counts only new jobs.
for j = 0, n - 1 do
  local b = 4 + j * 7
  local ttl = tonumber(ARGV[b + 4])
  if ttl > 0 then
    local key = KEYS[next_idem]
    next_idem = next_idem + 1
    local existing = seen[key] or redis.call('GET', key)
    if existing then
      fresh[j] = {existing = existing}
    else
      fresh[j] = {idem = key, ttl = ttl}
      seen[key] = ARGV[b]
    end
  else
    fresh[j] = {}
  end
end

local new_jobs = 0
for j = 0, n - 1 do
  if not fresh[j].existing then new_jobs = new_jobs + 1 end
end
if max_waiting > 0 and new_jobs > 0 then
  local waiting = pending_count(pending, prio) + redis.call('ZCARD', scheduled)
    + redis.call('ZCARD', retry)
  if waiting + new_jobs > max_waiting then return {'full', waiting} end
end

local woke = false
-- written in a few commands for the whole batch: specs, large payloads, the pending tail
local spec_pairs, payload_pairs, tail = {}, {}, {}
for j = 0, n - 1 do
  local b = 4 + j * 7
  local ulid = ARGV[b]
  local f = fresh[j]
  if f.existing then
    out[#out + 1] = f.existing
    out[#out + 1] = 0
  else
    local priority = tonumber(ARGV[b + 1])
    local delay = tonumber(ARGV[b + 2])
    local run_at = tonumber(ARGV[b + 3])
    local hdr = ARGV[b + 5]
    local payload = ARGV[b + 6]
    local due = -1
    if delay >= 0 then due = now + delay elseif run_at >= 0 then due = run_at end
    -- the header gets the creation time, and a delayed job's due time (its run_at)
    local stamp = '{"t":' .. now_s
    if due > now then stamp = stamp .. ',"d":' .. string.format('%d', due) end
    local stamped
    if hdr == '{}' then
      stamped = stamp .. '}'
    else
      stamped = stamp .. ',' .. string.sub(hdr, 2)
    end
    spec_pairs[#spec_pairs + 1] = ulid
    if #payload > inline_limit then
      payload_pairs[#payload_pairs + 1] = ulid
      payload_pairs[#payload_pairs + 1] = payload
      spec_pairs[#spec_pairs + 1] = stamped .. '\n'
    else
      spec_pairs[#spec_pairs + 1] = stamped .. '\n' .. payload
    end
    if due > now then
      redis.call('ZADD', scheduled, due, ulid)
    elseif priority == 0 then
      tail[#tail + 1] = ulid -- pushed below, in order, like push_pending would
      woke = true
    else
      push_pending(pending, prio, seq, ulid, priority, false)
      woke = true
    end
    if f.idem then redis.call('SET', f.idem, ulid, 'PX', f.ttl) end
    out[#out + 1] = ulid
    out[#out + 1] = 1
  end
end
call_many('HSET', specs, spec_pairs)
call_many('HSET', payloads, payload_pairs)
call_many('RPUSH', pending, tail)
if new_jobs > 0 then redis.call('HINCRBY', stats, 'enqueued', new_jobs) end
if woke then wake(wake_key) end
return out
