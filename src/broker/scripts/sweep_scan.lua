#!lua flags=no-writes
-- sweep_scan.lua (read only): one step of the invariant sweep's scan. Returns only the
-- jobs worth a closer look, so the scan moves ulids, not payloads, over the wire.
-- KEYS[1] pending   LIST
-- KEYS[2] prio      ZSET
-- KEYS[3] scheduled ZSET
-- KEYS[4] retry     ZSET
-- KEYS[5] active    ZSET
-- KEYS[6] dead      ZSET
-- KEYS[7] specs     HASH
-- KEYS[8] meta      HASH
-- ARGV[1] mode: 'specs' (jobs), 'meta', 'list' (pending), or 'zset'; [2] cursor (for
-- 'list': how many entries from the tail were read already); [3] at most this many
-- entries; [4] with 'zset': which ZSET (2 to 6 = KEYS index); [5] time budget (µs)
-- Returns {next cursor ('0' or -1 when done), ulid, note, ...}. Notes: for 'specs',
-- 'none:<fingerprint>' (in no ZSET: fine only if in the pending list; the fingerprint,
-- of its meta, tells sweep.lua whether the job moved since), 'many' (in several ZSETs)
-- or 'nolease' (active without meta); for 'zset' and 'meta' 'nospec' (an entry without a
-- job). 'list' reads the pending list from its tail (negative indexes do not move when
-- workers pop the head) and returns every entry it read, noted '' (in no ZSET) or
-- 'many:<index>' (pending and in a ZSET too; an entry whose job is gone is left to the
-- ZSET scans and to claim, which skips it).
-- Cost: the step reads sub-pages of SUB entries and stops after the one that reaches the
-- count or spends the time budget, so a step is bounded by the count at any backlog and
-- stays near the budget however slow the machine (or this process) is. Each sub-page
-- checks its entries against a structure with one call (ZMSCORE, HMGET), not one per
-- entry: HSCAN of a 1M-entry hash costs about 2 µs an entry here, the checks as much again.
local pending, specs, meta = KEYS[1], KEYS[7], KEYS[8]
local zsets = {KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}
local ACTIVE = 4 -- index of the active ZSET in zsets
local SUB = 50
local mode, cursor, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local budget = tonumber(ARGV[5] or '1000')
local out = {cursor}

local function clock_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function flag(ulid, note)
  out[#out + 1] = ulid
  out[#out + 1] = note
end

-- In how many ZSETs each ulid is (a list), and the set of those in the active ZSET.
local function places(ulids)
  local n, active = {}, {}
  for i = 1, #ulids do n[i] = 0 end
  if #ulids == 0 then return n, active end
  for zi, z in ipairs(zsets) do
    local scores = redis.call('ZMSCORE', z, unpack(ulids))
    for i = 1, #ulids do
      if scores[i] then
        n[i] = n[i] + 1
        if zi == ACTIVE then active[i] = true end
      end
    end
  end
  return n, active
end

-- The fields of an HSCAN / ZSCAN reply (every other item).
local function firsts(items)
  local f = {}
  for i = 1, #items, 2 do f[#f + 1] = items[i] end
  return f
end

-- One sub-page from the cursor; returns the next cursor and how many entries it read.
local function specs_page(at, n)
  local r = redis.call('HSCAN', specs, at, 'COUNT', n)
  local ulids = firsts(r[2])
  local where, active = places(ulids)
  local metas = {}
  if #ulids > 0 then metas = redis.call('HMGET', meta, unpack(ulids)) end
  for i, ulid in ipairs(ulids) do
    if where[i] == 0 then
      -- most such jobs never started: no meta, an empty fingerprint
      flag(ulid, 'none:' .. fingerprint_of(metas[i]))
    elseif where[i] > 1 then
      flag(ulid, 'many')
    elseif active[i] and not metas[i] then
      flag(ulid, 'nolease')
    end
  end
  return r[1], #ulids
end

local function list_page(at, n)
  local read = tonumber(at)
  local items = redis.call('LRANGE', pending, -(read + n), -(read + 1))
  local where = places(items)
  for i, ulid in ipairs(items) do
    if where[i] > 0 then flag(ulid, 'many:' .. (-(read + #items - i + 1))) else flag(ulid, '') end
  end
  if #items < n then return -1, #items end
  return read + n, #items
end

-- 'meta' and 'zset': entries whose job (spec) is gone.
local function orphans_page(at, n)
  local r
  if mode == 'meta' then
    r = redis.call('HSCAN', meta, at, 'COUNT', n)
  else
    r = redis.call('ZSCAN', KEYS[tonumber(ARGV[4])], at, 'COUNT', n)
  end
  local ulids = firsts(r[2])
  for _, ulid in ipairs(ulids) do
    if redis.call('HEXISTS', specs, ulid) == 0 then flag(ulid, 'nospec') end
  end
  return r[1], #ulids
end

local page = orphans_page
if mode == 'specs' then page = specs_page elseif mode == 'list' then page = list_page end
local started = clock_us()
local read, rounds = 0, 0
-- rounds: a sparse hash (after mass deletions) can answer few entries per sub-page
while read < count and rounds < 2 * math.ceil(count / SUB) do
  local got
  cursor, got = page(cursor, math.min(SUB, count - read))
  read = read + got
  rounds = rounds + 1
  if cursor == '0' or cursor == -1 or clock_us() - started >= budget then break end
end
out[1] = cursor
return out
