#!lua
-- enqueue.lua: add jobs to one queue, all or none.
-- KEYS[1] pending   LIST  ulids of priority-0 jobs, oldest first
-- KEYS[2] specs     HASH  ulid -> header .. "\n" .. payload
-- KEYS[3] stats     HASH  per-queue totals
-- KEYS[4] wake      LIST  wake-up token for idle workers
-- KEYS[5] prio      ZSET  ulids of other priorities, by band and sequence
-- KEYS[6] seq       STRING counter that orders the prio ZSET within a band
-- KEYS[7] scheduled ZSET  delayed jobs by due time (ms)
-- KEYS[8] retry     ZSET  jobs waiting out a backoff (counted for max_pending)
-- KEYS[9] payloads  HASH  ulid -> large payload
-- KEYS[10..] idem:<key> STRING, one per job that has an idempotency key, in job order
-- A call with one common job (see below) and no max_waiting passes only KEYS[1..4]: the
-- keys it touches (each argument costs Redis about a microsecond).
-- ARGV[1] max waiting jobs (pending + scheduled + retry), 0 = no limit
-- ARGV[2] idempotency ttl ms
-- then 4 per job: ulid, options, header tail, payload. The options are '' for the common
--   job (priority 0, due now, no idempotency key, payload kept inline), else "<priority>
--   <delay ms|-1> <run_at ms|-1> <flags>", flags the sum of 1 (it has an idempotency key)
--   and 2 (its payload is large: kept in the payloads hash, out of the spec). The header
--   tail is the header JSON after its '{' ("}" for default options): the script puts the
--   creation time (and a delayed job's due time) in front of it.
-- Returns {'ok'} when no job had an idempotency key (each was created, under the ulid it
-- was sent with); else {'ok', ulid1, created1, ulid2, created2, ...} (created 0 = an
-- idempotent repeat, the ulid is the first job's); or {'full', waiting}.
-- Cost: in Redis's Lua every argument, table, tonumber and redis.call costs about a
-- microsecond, so the common job takes four arguments and no parsing, and one common job
-- alone (what a web request posts) is five commands: TIME, HSET, RPUSH, HINCRBY, LLEN.
local pending, specs, stats, wake_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local stamp = '{"t":' .. now_ms_text()

if #KEYS == 4 then
  -- one common job, no max_waiting
  local ulid = ARGV[3]
  redis.call('HSET', specs, ulid, stamp .. ARGV[5] .. '\n' .. ARGV[6])
  redis.call('RPUSH', pending, ulid)
  redis.call('HINCRBY', stats, 'enqueued', 1)
  wake(wake_key)
  return {'ok'}
end

local prio, seq, scheduled, retry, payloads = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local n = (#ARGV - 2) / 4
local with_idem = #KEYS > 9
local now = tonumber(string.sub(stamp, 6))

-- The options of job j (0-based): priority, delay, run_at, flags.
local function options(j)
  local o = ARGV[4 + j * 4]
  if o == '' then return 0, -1, -1, 0 end
  local p, d, r, f = string.match(o, '^(%S+) (%S+) (%S+) (%S+)$')
  return tonumber(p), tonumber(d), tonumber(r), tonumber(f)
end

-- Idempotent repeats (earlier posts, or the same key twice in this batch) are resolved
-- first, so the queue-full check counts only new jobs.
local repeat_of, idem_of = {}, {}
local new_jobs = n
if with_idem then
  local next_idem, seen = 10, {}
  for j = 0, n - 1 do
    local _, _, _, flags = options(j)
    if flags % 2 == 1 then
      local key = KEYS[next_idem]
      next_idem = next_idem + 1
      local existing = seen[key] or redis.call('GET', key)
      if existing then
        repeat_of[j] = existing
        new_jobs = new_jobs - 1
      else
        idem_of[j] = key
        seen[key] = ARGV[3 + j * 4]
      end
    end
  end
end
local max_waiting = tonumber(ARGV[1])
if max_waiting > 0 and new_jobs > 0 then
  local waiting = pending_count(pending, prio, stats) + redis.call('ZCARD', scheduled)
    + redis.call('ZCARD', retry)
  if waiting + new_jobs > max_waiting then return {'full', waiting} end
end

-- written in a few commands for the whole batch: specs, large payloads, the pending tail
local out = {'ok'}
local spec_pairs, payload_pairs, tail, later = {}, {}, {}, {}
local woke = false
local idem_ttl = ARGV[2]
for j = 0, n - 1 do
  local b = 3 + j * 4
  local ulid = ARGV[b]
  local existing = repeat_of[j]
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 0
  else
    local priority, delay, run_at, flags = options(j)
    local due = -1
    if delay >= 0 then due = now + delay elseif run_at >= 0 then due = run_at end
    local head = stamp
    if due > now then head = stamp .. ',"d":' .. string.format('%d', due) end
    spec_pairs[#spec_pairs + 1] = ulid
    if flags >= 2 then
      payload_pairs[#payload_pairs + 1] = ulid
      payload_pairs[#payload_pairs + 1] = ARGV[b + 3]
      spec_pairs[#spec_pairs + 1] = head .. ARGV[b + 2] .. '\n'
    else
      spec_pairs[#spec_pairs + 1] = head .. ARGV[b + 2] .. '\n' .. ARGV[b + 3]
    end
    if due > now then
      later[#later + 1] = due
      later[#later + 1] = ulid
    elseif priority == 0 then
      tail[#tail + 1] = ulid -- pushed below, in order, like push_pending would
      woke = true
    else
      push_pending(pending, prio, seq, ulid, priority, false)
      woke = true
    end
    local key = idem_of[j]
    if key then redis.call('SET', key, ulid, 'PX', idem_ttl) end
    if with_idem then
      out[#out + 1] = ulid
      out[#out + 1] = 1
    end
  end
end
call_many('HSET', specs, spec_pairs)
call_many('HSET', payloads, payload_pairs)
call_many('RPUSH', pending, tail)
call_many('ZADD', scheduled, later)
if new_jobs > 0 then redis.call('HINCRBY', stats, 'enqueued', new_jobs) end
if woke then wake(wake_key) end
return out
