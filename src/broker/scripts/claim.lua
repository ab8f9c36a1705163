#!lua
-- claim.lua: hand up to N jobs of one queue to a worker, each under a lease, and return
-- their specs in the same round trip. It also does the queue's housekeeping (promote due
-- scheduled/retry jobs, recover expired leases), so a queue makes progress even when no
-- reaper runs: when it finds nothing to hand out, and otherwise at most once per
-- housekeeping period (throttled by a key, so busy workers do not repeat it per claim).
-- An idle worker sends it in one pipeline right behind its blocking pop of the wake list,
-- so Redis runs it the moment the pop returns (woken, timed out or released alike).
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
-- KEYS[14] tidied   STRING exists for one housekeeping period after a claim did it
-- KEYS[15] notify   LIST  callbacks for the reaper to send (jobs buried here)
-- KEYS[16] limits   HASH  max_active; per, period (ms), burst: a token bucket of starts
--                   (tokens, ts its last update); absent for a queue without limits
-- KEYS[17] starts   ZSET  worker -> receipt of its last buffered job that reached a handler
--                   (the jobs received beyond it cost no stall when their lease is lost)
-- ARGV[1] worker id, [2] max jobs, [3] lease ms, [4] queue name, [5] events channel,
-- [6] housekeeping limit (due jobs / expired leases handled per call), [7] dead-letter cap,
-- [8] housekeeping period ms, [9] how many of the jobs handed out go straight to a handler
-- (the first ones; the others wait in the worker's buffer and are only received: each gets
-- a receipt, the next number of the queue's count of buffered jobs (stats "receipts"), in
-- its meta as r, which the worker records in starts once the job reaches a handler)
-- Returns {next_due_ms (-1 none, or jobs were handed out), paused (0/1),
--   held_ms (-1, or: a limit holds jobs back; ask again after this long, or when woken),
--   ulid, attempt, spec, payload|false, receipt (0: straight to a handler), ...}
local K = {pending = KEYS[1], prio = KEYS[2], seq = KEYS[3], active = KEYS[6],
  specs = KEYS[7], payloads = KEYS[8], meta = KEYS[9], dead = KEYS[10], stats = KEYS[11],
  notify = KEYS[15]}
local scheduled, retry, paused, wake_key, tidied = KEYS[4], KEYS[5], KEYS[12], KEYS[13], KEYS[14]
local limits = KEYS[16]
-- a worker held back by max_active asks again after this long (ms) unless woken sooner
local MAX_ACTIVE_RECHECK = 1000
local worker, max_jobs, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local queue, channel = ARGV[4], ARGV[5]
local limit, dead_cap, period = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local run_now = tonumber(ARGV[9])
local starts = KEYS[17]

local now = now_ms()
K.starts = starts

local function housekeeping()
  local promoted = promote_due(scheduled, K.specs, K.pending, K.prio, K.seq, now, limit)
  local retried = promote_due(retry, K.specs, K.pending, K.prio, K.seq, now, limit)
  for _, u in ipairs(retried) do promoted[#promoted + 1] = u end
  local requeued, buried = recover_expired(K, now, limit, dead_cap)
  for _, u in ipairs(requeued) do promoted[#promoted + 1] = u end
  publish(channel, 'pending', queue, promoted)
  publish(channel, 'dead', queue, buried)
end

-- Takes up to n ulids: high priorities, then priority 0 (the list), then low priorities.
local function pop(n)
  local ulids = {}
  if n <= 0 then return ulids end
  local hi = redis.call('ZRANGEBYSCORE', K.prio, '-inf', '(' .. (100 * PRIO_BAND), 'LIMIT', 0, n)
  for _, u in ipairs(hi) do ulids[#ulids + 1] = u end
  if #hi > 0 then redis.call('ZREM', K.prio, unpack(hi)) end
  if #ulids < n then
    local mid = redis.call('LPOP', K.pending, n - #ulids)
    if mid then for _, u in ipairs(mid) do ulids[#ulids + 1] = u end end
  end
  if #ulids < n then
    local lo = redis.call('ZPOPMIN', K.prio, n - #ulids)
    for i = 1, #lo, 2 do ulids[#ulids + 1] = lo[i] end
  end
  return ulids
end

-- How many jobs the queue's limits let start now (of max_jobs), the token bucket's level
-- (nil without a rate) and, when they let none start, when to ask again (ms).
local function allowed(lim)
  local room, tokens, held = max_jobs, nil, -1
  if lim[1] then
    local free = tonumber(lim[1]) - redis.call('ZCARD', K.active)
    if free < room then room = math.max(0, free) end
    -- a finished job wakes a held-back worker (complete.lua, fail.lua); this is the backstop
    if free <= 0 then held = MAX_ACTIVE_RECHECK end
  end
  if lim[2] then
    local interval = tonumber(lim[3]) / tonumber(lim[2])
    local burst = tonumber(lim[4] or '1')
    tokens = tonumber(lim[5] or burst)
    local since = now - tonumber(lim[6] or now)
    if since > 0 then tokens = math.min(burst, tokens + since / interval) end
    local whole = math.floor(tokens)
    if whole < room then room = whole end
    if whole < 1 then held = math.max(held, math.ceil((1 - tokens) * interval)) end
  end
  return room, tokens, held
end

local tidy = redis.call('SET', tidied, '1', 'PX', period, 'NX')
if tidy then housekeeping() end

if redis.call('EXISTS', paused) == 1 then
  return {next_due_in(scheduled, retry, now), 1, -1}
end

-- one read for a queue without limits: every field is nil
local lim = redis.call('HMGET', limits, 'max_active', 'per', 'period', 'burst', 'tokens', 'ts')
local room, tokens, held = max_jobs, nil, -1
if lim[1] or lim[2] then
  room, tokens, held = allowed(lim)
  if room <= 0 and max_jobs > 0 then
    -- held back: the jobs stay pending, untouched
    return {next_due_in(scheduled, retry, now), 0, held}
  end
end

local ulids = pop(room)
if #ulids == 0 and room > 0 and not tidy then
  -- nothing waiting: due or lost jobs may be
  housekeeping()
  ulids = pop(room)
end
if #ulids == 0 then
  return {next_due_in(scheduled, retry, now), 0, -1}
end

local out = {-1, 0, -1}
local deadline = tostring(now + lease) -- numbers made text once (Lua uses sprintf)
local now_s = tostring(now)
local spec_of = call_many('HMGET', K.specs, ulids)
local meta_of = call_many('HMGET', K.meta, ulids)
-- every fresh job of this call starts with the same meta, made once; a buffered one's
-- also holds its receipt
local fresh_open = first_meta_prefix(cjson.encode(worker)) .. now_s
local fresh_meta = fresh_open .. '}'
local fresh_received = fresh_open .. ',"r":'
local receipt = 0 -- the last receipt given (the queue's count before the first)
if #ulids > run_now then
  receipt = tonumber(redis.call('HGET', K.stats, 'receipts') or '0')
end
local first_receipt = receipt + 1
-- a receipt as text: the text of its tens (made once per ten receipts: a number turned
-- into text costs about as much as a small command) and its last digit
local DIGITS = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}
local tens_of, tens_text = -1, ''
local function receipt_text(r)
  local d = r % 10
  local tens = (r - d) / 10
  if tens ~= tens_of then
    tens_of = tens
    if tens > 0 then tens_text = tostring(tens) else tens_text = '' end
  end
  return tens_text, DIGITS[d + 1]
end
local metas, leases, claimed, skipped = {}, {}, {}, 0
local n = 0 -- jobs handed out so far (counted: Lua's # operator searches the table)
for i, ulid in ipairs(ulids) do
  local spec = spec_of[i]
  if spec then
    local payload = false
    if string.byte(spec, -1) == 10 then payload = redis.call('HGET', K.payloads, ulid) end
    n = n + 1
    local r = 0
    if n > run_now then
      receipt = receipt + 1
      r = receipt
    end
    local raw = meta_of[i]
    local attempt, text
    if raw then
      local m = cjson.decode(raw)
      m.a = (m.a or 0) + 1
      m.w = worker
      m.st = now
      if r > 0 then m.r = r else m.r = nil end
      attempt = m.a
      text = cjson.encode(m)
    else
      attempt = 1
      if r > 0 then
        local tens, digit = receipt_text(r)
        text = fresh_received .. tens .. digit .. '}'
      else
        text = fresh_meta
      end
    end
    metas[2 * n - 1] = ulid
    metas[2 * n] = text
    leases[2 * n - 1] = deadline
    leases[2 * n] = ulid
    out[5 * n - 1] = ulid
    out[5 * n] = attempt
    out[5 * n + 1] = spec
    out[5 * n + 2] = payload
    out[5 * n + 3] = r
    claimed[n] = ulid
  else
    skipped = skipped + 1
  end
end
-- entries of jobs cancelled while pending (cancel.lua leaves them in the list): jobs
-- may wait behind them, so an idle worker is woken to look
if skipped > 0 then
  drop_stale(K.stats, skipped)
  wake(wake_key)
end
if tokens and #claimed > 0 then
  redis.call('HSET', limits, 'tokens', tostring(tokens - #claimed), 'ts', now_s)
end
if #claimed > 0 then
  call_many('HSET', K.meta, metas)
  call_many('ZADD', K.active, leases)
  if receipt >= first_receipt then
    redis.call('HSET', K.stats, 'receipts', receipt)
    -- a worker's first buffered jobs: its watermark starts below them (every job it got
    -- before then, if any, counts as started)
    redis.call('ZADD', starts, 'NX', first_receipt - 1, worker)
  end
  -- a full claim means work is likely left: pass the wake token on to the next idle
  -- worker (a claim that came up short emptied the queue, so nobody needs waking)
  if #ulids == max_jobs then wake(wake_key) end
end
publish(channel, 'active', queue, claimed)
return out
