#!lua
-- complete.lua: record the results of jobs that succeeded, fenced by their lease. Reads and
-- deletes are batched over all the jobs of the call (one command each), so a batch costs
-- little more per job than its done record.
-- KEYS[1] active   ZSET
-- KEYS[2] specs    HASH
-- KEYS[3] payloads HASH
-- KEYS[4] meta     HASH
-- KEYS[5] stats    HASH
-- KEYS[6] limits   HASH  the queue's limits: with max_active, a freed slot wakes a worker
-- KEYS[7] wake     LIST
-- KEYS[8] recent_succeeded LIST  ulids, newest first, capped: what browsing lists (stats
--                  "listed" counts the entries ever pushed: browse.lua pages by it)
-- KEYS[9..] done:<ulid> STRING, one per job in ARGV order
-- ARGV[1] worker id, [2] queue name, [3] events channel, [4] default result ttl ms,
-- [5] most entries kept in recent_succeeded (0: none),
-- then 4 per job: ulid, attempt, result bytes, result content type
-- Returns one code per job: 1 recorded, 2 already recorded by this same attempt (a retried
-- call), 0 refused: the worker no longer holds the lease, so it must not write an outcome.
local active, specs, payloads, meta, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local limits, wake_key, recent = KEYS[6], KEYS[7], KEYS[8]
local worker, queue, channel = ARGV[1], ARGV[2], ARGV[3]
local default_ttl, recent_cap = ARGV[4], tonumber(ARGV[5])
local now = now_ms()
local now_s = tostring(now) -- made once: Lua turns numbers into text with sprintf
local ulids, n = {}, 0
for i = 6, #ARGV, 4 do
  n = n + 1
  ulids[n] = ARGV[i]
end
local leased = call_many('ZMSCORE', active, ulids)
local meta_of = call_many('HMGET', meta, ulids)
local spec_of = call_many('HMGET', specs, ulids)
local worker_json = cjson.encode(worker)
local first_meta = first_meta_prefix(worker_json)
local after_first = #first_meta + 1
-- a first start's record: the parts every job of this call shares, made once
local hist_open = ',"h":[{"w":' .. worker_json .. ',"s":'
local hist_close = ',"f":' .. now_s .. ',"o":"succeeded"}],"ft":' .. now_s .. '}'
local codes, done_ids, recorded, done_n = {}, {}, {}, 0
local external = {} -- jobs whose payload sits in the payloads hash
for j, ulid in ipairs(ulids) do
  local i = 2 + j * 4
  local done = KEYS[8 + j]
  local attempt = tonumber(ARGV[i + 1])
  -- the lease check of holds_lease, on the values read above; a ulid twice in one call
  -- is recorded once (the second sees the first's record)
  local m, spec, first_st = nil, nil, nil
  if not recorded[ulid] and leased[j] and meta_of[j] and spec_of[j] then
    local raw = meta_of[j]
    -- fast path: this worker's untouched first start (no progress, no earlier attempt)
    if attempt == 1 and string.find(raw, first_meta, 1, true) == 1 then
      -- received into the worker's buffer first (most jobs of a drain), or not
      first_st = string.match(raw, '^(%d+),"r":%d+}$', after_first)
        or string.match(raw, '^(%d+)}$', after_first)
    end
    if first_st then
      spec = spec_of[j]
    else
      local mm = cjson.decode(raw)
      if mm.a == attempt and mm.w == worker then
        m, spec = mm, spec_of[j]
      end
    end
  end
  if spec then
    local hdr_text = header_of(spec)
    local text
    if first_st then
      -- what close_attempt and cjson would make of it
      text = first_meta .. first_st .. hist_open .. first_st .. hist_close
    else
      close_attempt(m, now, 'succeeded', nil)
      m.ft = now
      m.e = nil
      text = cjson.encode(m)
    end
    write_done(done, 'succeeded', hdr_text, text, ARGV[i + 3], ARGV[i + 2],
      result_ttl(hdr_text, default_ttl))
    codes[j] = 1
    recorded[ulid] = true
    done_n = done_n + 1
    done_ids[done_n] = ulid
    if string.byte(spec, -1) == 10 then external[#external + 1] = ulid end
  else
    codes[j] = 0
    local prev = read_done(done)
    if prev and prev[1] == 'succeeded' then
      local pm = cjson.decode(prev[3])
      if pm.a == attempt and pm.w == worker then codes[j] = 2 end
    end
  end
end
if done_n > 0 then
  call_many('HDEL', specs, done_ids)
  call_many('HDEL', payloads, external)
  call_many('HDEL', meta, done_ids)
  call_many('ZREM', active, done_ids)
  redis.call('HINCRBY', stats, 'succeeded', done_n)
  -- a worker held back by max_active may start a job now
  if redis.call('HEXISTS', limits, 'max_active') == 1 then wake(wake_key) end
  if recent_cap > 0 then
    -- a list: no score to write nor skiplist to keep, and trimmed from its tail
    call_many('LPUSH', recent, done_ids)
    redis.call('LTRIM', recent, 0, recent_cap - 1)
    redis.call('HINCRBY', stats, 'listed', done_n)
  end
end
publish(channel, 'succeeded', queue, done_ids)
return codes
