#!lua
-- stream_append.lua: append chunks of running jobs' output, fenced by their lease; keep each
-- job's stream within its byte cap (the oldest chunks go, the newest always stays); index
-- new streams for the janitor; announce the jobs that got chunks. One call per queue per
-- flush of a worker.
-- KEYS[1] active  ZSET
-- KEYS[2] meta    HASH
-- KEYS[3] streams ZSET  ulid -> when the janitor next checks the job's stream (ms)
-- KEYS[4..] stream:<ulid> STREAM, one per job in ARGV order
-- ARGV[1] worker id, [2] queue name, [3] events channel, [4] cap in bytes per job,
-- [5] first janitor check, ms from now,
-- then per job: ulid, attempt, n, and n pairs: seq, chunk bytes (seq ascending)
-- Returns one code per job: 1 stored (chunks a retried call already stored are skipped),
-- 0 refused: the worker no longer holds the lease, nothing is stored.
local active, meta, streams = KEYS[1], KEYS[2], KEYS[3]
local worker, queue, channel = ARGV[1], ARGV[2], ARGV[3]
local cap, check_in = tonumber(ARGV[4]), tonumber(ARGV[5])
local PAGE = 64

-- An entry's fields come as a flat list: d (bytes), e (end offset), [p (follows)].
local function start_of(fields)
  return tonumber(fields[4]) - #fields[2]
end

-- Drops the oldest entries that start before offset `from`; the newest entry always stays.
local function trim(key, from)
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  if #first == 0 or start_of(first[1][2]) >= from then return end
  local cursor, last = '-', nil
  while true do
    local page = redis.call('XRANGE', key, cursor, '+', 'COUNT', PAGE)
    for _, entry in ipairs(page) do
      if start_of(entry[2]) >= from then
        redis.call('XTRIM', key, 'MINID', entry[1])
        return
      end
      last = entry[1]
    end
    if #page < PAGE then
      if last then redis.call('XTRIM', key, 'MINID', last) end
      return
    end
    cursor = '(' .. last
  end
end

local now = nil
local codes, stored = {}, {}
local i, j = 6, 0
while i <= #ARGV do
  j = j + 1
  local ulid, attempt, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local key = KEYS[3 + j]
  local first = i + 3
  i = first + 2 * n
  if holds_lease(active, meta, ulid, attempt, worker) then
    codes[j] = 1
    local last_id, last_a, last_s, total = '', -1, -1, 0
    local tail = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
    if #tail == 1 then
      last_id = tail[1][1]
      local a, s = string.match(last_id, '^(%d+)%-(%d+)$')
      last_a, last_s = tonumber(a), tonumber(s)
      total = tonumber(tail[1][2][4])
    end
    local added = 0
    for k = first, i - 1, 2 do
      local seq, data = tonumber(ARGV[k]), ARGV[k + 1]
      if attempt > last_a or (attempt == last_a and seq > last_s) then
        total = total + #data
        local id = string.format('%d-%d', attempt, seq)
        if seq == 0 or attempt > last_a then
          -- the first chunk this attempt stores names the one it follows, so a reader can
          -- tell a gap (trimmed, or dropped by the worker) from the next attempt's start
          redis.call('XADD', key, id, 'd', data, 'e', total, 'p', last_id)
        else
          redis.call('XADD', key, id, 'd', data, 'e', total)
        end
        last_id, last_a, last_s = id, attempt, seq
        added = added + 1
      end
    end
    if added > 0 then
      if total > cap then trim(key, total - cap) end
      if #tail == 0 then
        now = now or now_ms()
        redis.call('ZADD', streams, 'NX', now + check_in, ulid)
      end
      stored[#stored + 1] = ulid
    end
  else
    codes[j] = 0
  end
end
publish(channel, 'chunk', queue, stored)
return codes
