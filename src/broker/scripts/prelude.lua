-- prelude.lua: helpers every mlqd script shares. scripts.rs puts this text in front of each
-- script when it loads it, so there is one copy of each rule. Helpers take key names as
-- arguments and never build a key: every key a script touches arrives in its KEYS.
--
-- How one queue stores a job (every key carries the queue's {hash tag}):
--   specs     HASH  ulid -> spec = header JSON .. "\n" .. payload (written once, at enqueue)
--   payloads  HASH  ulid -> payload, for payloads over the inline limit (the spec then
--                   ends at "\n"), so reading a header never copies a large payload
--   meta      HASH  ulid -> meta JSON, from the first start on: a attempts, f failures,
--                   s stalls, w worker, st started ms, ft finished ms, e error,
--                   p/pm progress, h history, r receipt (claimed into the worker's buffer:
--                   see never_started)
--   starts    ZSET  worker -> receipt of its last buffered job that reached a handler
--   the state is where the ulid sits: pending LIST (priority 0) or prio ZSET (others),
--   scheduled / retry / active / dead ZSETs
--   done:<ulid> STRING record of a succeeded or cancelled job, with a TTL: state "\n"
--                   header "\n" meta "\n" result content type "\n" result bytes (the
--                   first four never hold a newline: JSON, and a checked content type)
--   stream:<ulid> STREAM a job's output chunks (stream_append.lua writes, stream_read.lua
--                   reads): entry id <attempt>-<seq> (seq from 0 per attempt, so ids grow
--                   like the output), fields d = bytes, e = bytes of the job's output up to
--                   and with this chunk (every attempt counted: the byte cap trims by it),
--                   and p = id of the chunk it follows ('' none) on the first chunk each
--                   attempt stores (a reader tells a gap from a new attempt by it). Capped
--                   at --max-stream bytes per job, the oldest chunks trimmed. Not touched by
--                   the state changes: the janitor (stream_tidy.lua) keeps it while the job
--                   lives, gives it the done record's TTL once the job is done, and deletes
--                   it once the job is gone
--   streams   ZSET  ulid -> when the janitor next checks that job's stream (ms)

local PRIO_BAND = 17592186044416 -- 2^44: one band of prio scores per priority level
local HISTORY_CAP = 10
local NOTIFY_CAP = 10000 -- callbacks waiting for the reaper, per queue

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The same time as text, made of TIME's two fields without arithmetic: in Redis's Lua a
-- tonumber or a number turned into text costs about as much as a small command.
local function now_ms_text()
  local t = redis.call('TIME')
  return t[1] .. string.sub('00000' .. t[2], -6, -4)
end

-- Calls cmd(key, items...) with at most 1000 items per call (unpack has a stack limit; pairs
-- stay whole since 1000 is even). Returns the items of the replies, concatenated (a
-- missing value is false).
local function call_many(cmd, key, items)
  local n = #items
  if n <= 1000 then
    -- one call (the usual case): its reply as it is, nothing copied
    if n == 0 then return {} end
    local r = redis.call(cmd, key, unpack(items))
    if type(r) == 'table' then return r end
    return {}
  end
  local out = {}
  for i = 1, n, 1000 do
    local r = redis.call(cmd, key, unpack(items, i, math.min(i + 999, #items)))
    if type(r) == 'table' then
      for j = 1, #r do out[#out + 1] = r[j] end
    end
  end
  return out
end

-- Writes a job's done record, expiring after ttl ms (a string of digits).
local function write_done(done, state, hdr_text, meta_text, content_type, result, ttl)
  redis.call('SET', done, state .. '\n' .. hdr_text .. '\n' .. meta_text .. '\n'
    .. content_type .. '\n' .. result, 'PX', ttl)
end

-- Reads a done record without its result: {state, header, meta, content type} and the
-- offset where the result starts, or nil when there is none. Reads a growing prefix, so a
-- large result is not copied.
local function read_done(done)
  local size = 4096
  while true do
    local head = redis.call('GETRANGE', done, 0, size - 1)
    if head == '' then return nil end
    local parts, pos = {}, 1
    for i = 1, 4 do
      local nl = string.find(head, '\n', pos, true)
      if not nl then break end
      parts[i] = string.sub(head, pos, nl - 1)
      pos = nl + 1
    end
    if #parts == 4 then return parts, pos - 1 end
    if #head < size then return nil end
    size = size * 8
  end
end

-- The result ttl of a job (ms, a string of digits) from its header, else the default. The
-- header's keys are fixed and flat, so "rt" is found without decoding it.
local function result_ttl(hdr_text, default_ttl)
  if not string.find(hdr_text, '"rt":', 1, true) then return default_ttl end -- most jobs
  local rt = string.match(hdr_text, '[{,]"rt":(%d+)')
  if rt and rt ~= '0' then return rt end
  return default_ttl
end

local function header_of(spec)
  local nl = string.find(spec, '\n', 1, true)
  if nl then return string.sub(spec, 1, nl - 1) end
  return spec
end

local function decode_header(spec)
  return cjson.decode(header_of(spec))
end

local function load_meta(meta, ulid)
  local raw = redis.call('HGET', meta, ulid)
  if raw then return cjson.decode(raw) end
  return {a = 0, f = 0, s = 0}
end

local function save_meta(meta, ulid, m)
  redis.call('HSET', meta, ulid, cjson.encode(m))
end

-- The meta of a first start, written out by hand (cheaper than cjson): this prefix, the
-- start time in ms, then '}'. claim.lua writes it; complete.lua recognises it, and closes
-- such an attempt without decoding it. worker_json is cjson.encode(worker id).
local function first_meta_prefix(worker_json)
  return '{"a":1,"f":0,"s":0,"w":' .. worker_json .. ',"st":'
end

-- The meta of the job if this worker holds its lease for this attempt, else nil.
local function holds_lease(active, meta, ulid, attempt, worker)
  if not redis.call('ZSCORE', active, ulid) then return nil end
  local raw = redis.call('HGET', meta, ulid)
  if not raw then return nil end
  local m = cjson.decode(raw)
  if m.a ~= attempt or m.w ~= worker then return nil end
  return m
end

-- Closes the running attempt (m.w, m.st) into the history, capped at HISTORY_CAP entries.
local function close_attempt(m, now, outcome, err)
  local entry = {w = m.w or '', s = m.st or now, f = now, o = outcome}
  if err then entry.e = err end
  local h = m.h
  if type(h) ~= 'table' then h = {} end
  h[#h + 1] = entry
  while #h > HISTORY_CAP do table.remove(h, 1) end
  m.h = h
  m.p = nil
  m.pm = nil
  m.r = nil
end

-- Puts a job where workers take from: the list for priority 0 (memory-lean), the prio ZSET
-- otherwise. front = true puts it ahead of its priority (jobs handed back or recovered).
local function push_pending(pending, prio, seq, ulid, priority, front)
  if priority == 0 then
    if front then redis.call('LPUSH', pending, ulid) else redis.call('RPUSH', pending, ulid) end
  else
    local n = 0
    if not front then n = redis.call('INCR', seq) end
    redis.call('ZADD', prio, (100 - priority) * PRIO_BAND + n, ulid)
  end
end

-- Pending jobs: the list's entries but those of jobs already gone (stale: cancelled
-- while pending, see cancel.lua), and the prio ZSET.
local function pending_count(pending, prio, stats)
  local stale = tonumber(redis.call('HGET', stats, 'stale') or '0')
  return math.max(0, redis.call('LLEN', pending) - stale) + redis.call('ZCARD', prio)
end

-- n stale entries (see pending_count) left the pending list.
local function drop_stale(stats, n)
  local left = tonumber(redis.call('HGET', stats, 'stale') or '0') - n
  if left > 0 then
    redis.call('HSET', stats, 'stale', left)
  else
    redis.call('HDEL', stats, 'stale')
  end
end

-- What the sweep compares to tell whether a job moved between its scan and its repair:
-- a digest of its meta (every claim rewrites it), '' before its first start.
local function fingerprint_of(m)
  if not m then return '' end
  return string.sub(redis.sha1hex(m), 1, 16)
end

local function meta_fingerprint(meta, ulid)
  return fingerprint_of(redis.call('HGET', meta, ulid))
end

-- One token in the wake list wakes one idle worker, which passes it on if work remains.
local function wake(wake_key)
  if redis.call('LLEN', wake_key) == 0 then redis.call('RPUSH', wake_key, '1') end
end

-- One message per script call: "<kind> <queue>.<ulid> <queue>.<ulid> ...". Joined by
-- table.concat with the separator, so no string is made per job.
local function publish(channel, kind, queue, ulids)
  if channel == '' or #ulids == 0 then return end
  local sep = ' ' .. queue .. '.'
  redis.call('PUBLISH', channel, kind .. sep .. table.concat(ulids, sep))
end

local function forget(specs, payloads, meta, ulid)
  redis.call('HDEL', specs, ulid)
  redis.call('HDEL', payloads, ulid)
  redis.call('HDEL', meta, ulid)
end

-- Moves a job into the dead-letter set, evicting the oldest entries past the cap.
local function bury(dead, specs, payloads, meta, stats, ulid, m, now, reason, cap)
  m.e = reason
  m.ft = now
  m.p = nil
  m.pm = nil
  save_meta(meta, ulid, m)
  redis.call('ZADD', dead, now, ulid)
  redis.call('HINCRBY', stats, 'dead', 1)
  if cap > 0 then
    local n = redis.call('ZCARD', dead)
    if n > cap then
      -- at most 100 per call (a lowered cap is reached over several burials, so no call
      -- deletes thousands of jobs at once); counted, and logged by the janitor
      local old = redis.call('ZPOPMIN', dead, math.min(n - cap, 100))
      for i = 1, #old, 2 do forget(specs, payloads, meta, old[i]) end
      redis.call('HINCRBY', stats, 'trimmed', #old / 2)
    end
  end
end

-- Moves due jobs of a scheduled or retry ZSET to pending. Returns the moved ulids.
local function promote_due(zset, specs, pending, prio, seq, now, limit)
  local due = redis.call('ZRANGEBYSCORE', zset, '-inf', now, 'LIMIT', 0, limit)
  local moved = {}
  if #due == 0 then return moved end
  redis.call('ZREM', zset, unpack(due))
  for _, ulid in ipairs(due) do
    local spec = redis.call('HGET', specs, ulid)
    if spec then
      push_pending(pending, prio, seq, ulid, decode_header(spec).pr or 0, false)
      moved[#moved + 1] = ulid
    end
  end
  return moved
end

-- A job became terminal with no worker to send its callback: if it has one, the reaper
-- leader sends it from this list (capped: the oldest go when no reaper drains it).
local function notify_final(notify, ulid, hdr_text)
  if string.find(hdr_text, '[{,]"cb":') then
    redis.call('RPUSH', notify, ulid)
    redis.call('LTRIM', notify, -NOTIFY_CAP, -1)
  end
end

-- Whether a job whose lease is lost had only been received: claimed into its worker's
-- buffer (its meta holds r, its receipt: claim.lua numbers the jobs it buffers, per queue,
-- in the order the worker starts them) and never handed to a handler, i.e. beyond the
-- receipt its worker recorded as started (the starts ZSET: worker -> receipt of the last
-- buffered job that reached a handler). With no watermark for the worker, the job counts
-- as started: an error here only ever costs a stall, never spares one.
local function never_started(starts, m)
  if not (starts and m.r and m.w) then return false end
  local upto = redis.call('ZSCORE', starts, m.w)
  return upto ~= false and upto ~= nil and tonumber(upto) < m.r
end

-- The job lost its lease (expired, or its worker stopped heartbeating): count a stall and
-- requeue it at the front, or, with the stall budget spent, bury it as "worker lost". A job
-- its worker had only received (claimed into its buffer, never handed to a handler) goes
-- back to the front as if that claim had not happened: no stall, its attempt not spent.
-- K holds the key names: active pending prio seq specs payloads meta dead stats notify,
-- and starts (optional). Returns 'pending', 'dead' or 'gone'.
local function requeue_lost(K, ulid, now, why, dead_cap)
  redis.call('ZREM', K.active, ulid)
  local spec = redis.call('HGET', K.specs, ulid)
  if not spec then
    redis.call('HDEL', K.meta, ulid)
    return 'gone'
  end
  local hdr = decode_header(spec)
  local m = load_meta(K.meta, ulid)
  if m.a and never_started(K.starts, m) then
    if m.a <= 1 and (m.f or 0) == 0 and (m.s or 0) == 0 and m.h == nil then
      redis.call('HDEL', K.meta, ulid) -- never started at all
    else
      m.a = m.a - 1
      m.w = nil
      m.st = nil
      m.r = nil
      save_meta(K.meta, ulid, m)
    end
    redis.call('HINCRBY', K.stats, 'unstarted', 1)
    push_pending(K.pending, K.prio, K.seq, ulid, hdr.pr or 0, true)
    return 'pending'
  end
  m.s = (m.s or 0) + 1
  close_attempt(m, now, 'lease_lost', why)
  redis.call('HINCRBY', K.stats, 'stalled', 1)
  if m.s >= (hdr.ms or 3) then
    bury(K.dead, K.specs, K.payloads, K.meta, K.stats, ulid, m, now,
      'worker lost: ' .. why .. ' (' .. m.s .. ' lost leases)', dead_cap)
    notify_final(K.notify, ulid, header_of(spec))
    return 'dead'
  end
  save_meta(K.meta, ulid, m)
  push_pending(K.pending, K.prio, K.seq, ulid, hdr.pr or 0, true)
  return 'pending'
end

-- Requeues (or buries) the jobs whose lease expired before now. Returns requeued, buried.
local function recover_expired(K, now, limit, dead_cap)
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', '(' .. now, 'LIMIT', 0, limit)
  local requeued, buried = {}, {}
  for _, ulid in ipairs(expired) do
    local r = requeue_lost(K, ulid, now, 'lease expired', dead_cap)
    if r == 'pending' then requeued[#requeued + 1] = ulid
    elseif r == 'dead' then buried[#buried + 1] = ulid end
  end
  return requeued, buried
end

-- Milliseconds until the earliest scheduled or retry job is due, or -1 when none waits.
local function next_due_in(scheduled, retry, now)
  local best = -1
  for _, z in ipairs({scheduled, retry}) do
    local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
    if #first == 2 then
      local d = math.max(0, tonumber(first[2]) - now)
      if best < 0 or d < best then best = d end
    end
  end
  return best
end
