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
-- 'list': how many entries from the tail were read already); [3] count; [4] with 'zset':
-- which ZSET (2 to 6 = KEYS index)
-- Returns {next cursor ('0' or -1 when done), ulid, note, ...}. Notes: for 'specs',
-- 'none:<fingerprint>' (in no ZSET: fine only if in the pending list; the fingerprint,
-- of its meta, tells sweep.lua whether the job moved since), 'many' (in several ZSETs)
-- or 'nolease' (active without meta); for 'zset' and 'meta' 'nospec' (an entry without a
-- job). 'list' reads the pending list from its tail (negative indexes do not move when
-- workers pop the head) and returns every entry it read, noted '' (fine), 'nospec' (its
-- job is gone: claim skips it) or 'many:<index>' (pending and in a ZSET too).
-- Cost: at most `count` entries and 6 reads each, whatever the backlog.
local pending, specs, meta = KEYS[1], KEYS[7], KEYS[8]
local zsets = {KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}
local active = KEYS[5]
local mode, cursor, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}

if mode == 'specs' or mode == 'meta' then
  local key = specs
  if mode == 'meta' then key = meta end
  local r = redis.call('HSCAN', key, cursor, 'COUNT', count)
  out[1] = r[1]
  local items = r[2]
  for i = 1, #items, 2 do
    local ulid = items[i]
    if mode == 'meta' then
      if redis.call('HEXISTS', specs, ulid) == 0 then
        out[#out + 1] = ulid
        out[#out + 1] = 'nospec'
      end
    else
      local n = 0
      for _, z in ipairs(zsets) do
        if redis.call('ZSCORE', z, ulid) then n = n + 1 end
      end
      if n == 0 then
        out[#out + 1] = ulid
        out[#out + 1] = 'none:' .. meta_fingerprint(meta, ulid)
      elseif n > 1 then
        out[#out + 1] = ulid
        out[#out + 1] = 'many'
      elseif redis.call('ZSCORE', active, ulid) and redis.call('HEXISTS', meta, ulid) == 0 then
        out[#out + 1] = ulid
        out[#out + 1] = 'nolease'
      end
    end
  end
elseif mode == 'list' then
  local read = tonumber(cursor)
  local items = redis.call('LRANGE', pending, -(read + count), -(read + 1))
  if #items < count then out[1] = -1 else out[1] = read + count end
  for i, ulid in ipairs(items) do
    local note = ''
    if redis.call('HEXISTS', specs, ulid) == 0 then
      note = 'nospec'
    else
      for _, z in ipairs(zsets) do
        if redis.call('ZSCORE', z, ulid) then
          note = 'many:' .. (-(read + #items - i + 1))
          break
        end
      end
    end
    out[#out + 1] = ulid
    out[#out + 1] = note
  end
else
  local z = KEYS[tonumber(ARGV[4])]
  local r = redis.call('ZSCAN', z, cursor, 'COUNT', count)
  out[1] = r[1]
  local items = r[2]
  for i = 1, #items, 2 do
    if redis.call('HEXISTS', specs, items[i]) == 0 then
      out[#out + 1] = items[i]
      out[#out + 1] = 'nospec'
    end
  end
end
return out
