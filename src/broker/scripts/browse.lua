#!lua flags=no-writes
-- browse.lua (read only): one page of a queue's jobs in one state, after a cursor. A page
-- costs O(limit) reads (plus O(log n) to find where the cursor left off): it never walks
-- the queue. Cursors name the last job shown and where it stood, so paging never repeats
-- nor skips a job that stayed in the state:
--   z:<score>:<ulid>          scheduled / retry (by due time), dead (newest first), and
--                             cancelled (its recent index, newest first); succeeded (its
--                             recent list, newest first): the score is the entry's number
--                             (1 = the first ever listed; stats "listed" the last)
--   h:<score>:<ulid>          pending, high priorities (the prio ZSET below band 100)
--   l:<index>:<ulid>:<attempts> pending, priority 0 (the list)
--   o:<score>:<ulid>          pending, low priorities (the prio ZSET from band 100)
-- KEYS[1] pending   LIST
-- KEYS[2] prio      ZSET
-- KEYS[3] scheduled ZSET
-- KEYS[4] retry     ZSET
-- KEYS[5] active    ZSET
-- KEYS[6] dead      ZSET
-- KEYS[7] specs     HASH
-- KEYS[8] meta      HASH
-- KEYS[9] recent_succeeded LIST
-- KEYS[10] recent_cancelled ZSET
-- KEYS[11] stats    HASH
-- ARGV[1] state, [2] limit; then the cursor: [3] kind ('' from the start, z h l o), [4..6]
-- its fields. For 'active' (ordered by start in Rust): [3..] the page's ulids instead.
-- Returns {'page', next cursor|false, ulid, header, meta|false, due|false, ...} for the
-- states whose jobs live in specs/meta; {'ids', next cursor|false, ulid, ...} for
-- succeeded/cancelled (their records are read apart); {'moved'} when a priority-0
-- cursor's job is no longer where it was (the caller finds its new index and asks again).
local pending, prio, scheduled, retry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local active, dead, specs, meta = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local recent = {succeeded = KEYS[9], cancelled = KEYS[10]}
local stats = KEYS[11]
local state, limit = ARGV[1], tonumber(ARGV[2])
local kind, ca, cb, cc = ARGV[3] or '', ARGV[4], ARGV[5], ARGV[6]
local BAND_HI = 100 * PRIO_BAND
-- entries looked at per page at most (cancelled jobs may leave gaps in the list)
local EXAMINE = limit * 2 + 16
local CHUNK = 100

local out = {'page', false}
local live, examined, last = 0, 0, false

-- The first rank after (score, member), ascending or descending, even when that member
-- has left: members of one score are ordered by name, so a binary search over the ranks
-- of that score finds the place.
local function after(z, score, member, desc)
  local s = redis.call('ZSCORE', z, member)
  if s and tonumber(s) == tonumber(score) then
    if desc then return redis.call('ZREVRANK', z, member) + 1 end
    return redis.call('ZRANK', z, member) + 1
  end
  local before
  if desc then
    before = redis.call('ZCOUNT', z, '(' .. score, '+inf')
  else
    before = redis.call('ZCOUNT', z, '-inf', '(' .. score)
  end
  local lo, hi = before, before + redis.call('ZCOUNT', z, score, score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local m
    if desc then m = redis.call('ZREVRANGE', z, mid, mid)[1] else m = redis.call('ZRANGE', z, mid, mid)[1] end
    if m and ((desc and m >= member) or (not desc and m <= member)) then lo = mid + 1 else hi = mid end
  end
  return lo
end

local function attempts(raw)
  if not raw then return 0 end
  return tonumber(string.match(raw, '"a":(%d+)') or '0')
end

-- Adds a job still in the store; cursor_of(meta) names its place. False once the page
-- is full (a further job exists: the cursor stops before it) or enough was looked at.
local function take(ulid, due, cursor_of)
  examined = examined + 1
  local spec = redis.call('HGET', specs, ulid)
  local raw = redis.call('HGET', meta, ulid)
  if spec then
    if live == limit then
      out[2] = last
      return false
    end
    live = live + 1
    out[#out + 1] = ulid
    out[#out + 1] = header_of(spec)
    out[#out + 1] = raw or false
    out[#out + 1] = due
  end
  last = cursor_of(raw)
  if examined >= EXAMINE then
    out[2] = last
    return false
  end
  return true
end

-- Takes jobs of a ZSET from rank `start` up to rank `stop` (exclusive; nil: the end).
-- True when the range ran out first.
local function scan_z(z, start, stop, desc, prefix, with_due)
  while true do
    local last_rank = start + CHUNK - 1
    if stop and last_rank > stop - 1 then last_rank = stop - 1 end
    if last_rank < start then return true end
    local items
    if desc then
      items = redis.call('ZREVRANGE', z, start, last_rank, 'WITHSCORES')
    else
      items = redis.call('ZRANGE', z, start, last_rank, 'WITHSCORES')
    end
    if #items == 0 then return true end
    for i = 1, #items, 2 do
      local ulid, score = items[i], items[i + 1]
      local due = false
      if with_due then due = score end
      local cursor = prefix .. score .. ':' .. ulid
      if not take(ulid, due, function() return cursor end) then return false end
    end
    start = start + #items / 2
  end
end

-- Takes priority-0 jobs from list index `start`. True when the list ran out first.
local function scan_list(start)
  while true do
    local items = redis.call('LRANGE', pending, start, start + CHUNK - 1)
    if #items == 0 then return true end
    for k, ulid in ipairs(items) do
      local index = start + k - 1
      local ok = take(ulid, false, function(raw)
        return 'l:' .. index .. ':' .. ulid .. ':' .. attempts(raw)
      end)
      if not ok then return false end
    end
    start = start + #items
  end
end

if state == 'active' then
  for i = 3, #ARGV do
    local ulid = ARGV[i]
    if redis.call('ZSCORE', active, ulid) then
      local spec = redis.call('HGET', specs, ulid)
      if spec then
        out[#out + 1] = ulid
        out[#out + 1] = header_of(spec)
        out[#out + 1] = redis.call('HGET', meta, ulid) or false
        out[#out + 1] = false
      end
    end
  end
  return out
end

if state == 'succeeded' then
  -- entries are only pushed at the head and trimmed from the tail: entry number t sits at
  -- index total - t, so a cursor's place is found without a search
  local total = tonumber(redis.call('HGET', stats, 'listed') or '0')
  local start = 0
  if kind == 'z' then
    start = total - tonumber(ca) + 1
    if start < 0 then return {'ids', false} end -- not a place in this list
  end
  local items = redis.call('LRANGE', recent.succeeded, start, start + limit)
  local page = {'ids', false}
  for i = 1, #items do
    if i > limit then
      page[2] = 'z:' .. (total - (start + limit - 1)) .. ':' .. items[limit]
      break
    end
    page[#page + 1] = items[i]
  end
  return page
end

if state == 'cancelled' then
  local z = recent[state]
  local start = 0
  if kind == 'z' then start = after(z, ca, cb, true) end
  local items = redis.call('ZREVRANGE', z, start, start + limit, 'WITHSCORES')
  local page = {'ids', false}
  for i = 1, #items, 2 do
    if (i + 1) / 2 > limit then
      page[2] = 'z:' .. items[i - 1] .. ':' .. items[i - 2]
      break
    end
    page[#page + 1] = items[i]
  end
  return page
end

if state == 'scheduled' or state == 'retry' or state == 'dead' then
  local z = ({scheduled = scheduled, retry = retry, dead = dead})[state]
  local desc = state == 'dead'
  local start = 0
  if kind == 'z' then start = after(z, ca, cb, desc) end
  scan_z(z, start, nil, desc, 'z:', not desc)
  return out
end

-- pending: in the order workers take them
local hi_n = redis.call('ZCOUNT', prio, '-inf', '(' .. BAND_HI)
local phase = kind
if phase == '' or phase == 'h' then
  local start = 0
  if phase == 'h' then start = after(prio, ca, cb, false) end
  if start < hi_n and not scan_z(prio, start, hi_n, false, 'h:', false) then return out end
  phase = 'l0'
end
if phase == 'l0' or phase == 'l' then
  local start = 0
  if phase == 'l' then
    local index = tonumber(ca)
    if index >= 0 then
      if redis.call('LINDEX', pending, index) ~= cb then return {'moved'} end
      -- the same job, unless it left and came back (every start counts an attempt): then
      -- everything ahead of it was taken since, and the list starts over
      if attempts(redis.call('HGET', meta, cb)) == tonumber(cc) then start = index + 1 end
    end
  end
  if not scan_list(start) then return out end
end
local start = hi_n
if phase == 'o' then start = math.max(hi_n, after(prio, ca, cb, false)) end
scan_z(prio, start, nil, false, 'o:', false)
return out
