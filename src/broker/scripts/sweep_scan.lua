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
-- 'list': start index); [3] count; [4] with 'zset': which ZSET (2 to 6 = KEYS index)
-- Returns {next cursor ('0' or -1 when done), ulid, note, ...}. Notes: for 'specs',
-- 'none' (in no ZSET: fine only if in the pending list), 'many' (in several ZSETs) or
-- 'nolease' (active without meta); for the other modes 'nospec' (an entry without a job),
-- and for 'list' also 'many' (pending and in a ZSET too).
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
        out[#out + 1] = 'none'
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
  local start = tonumber(cursor)
  local items = redis.call('LRANGE', pending, start, start + count - 1)
  if #items < count then out[1] = -1 else out[1] = start + count end
  for _, ulid in ipairs(items) do
    if redis.call('HEXISTS', specs, ulid) == 0 then
      out[#out + 1] = ulid
      out[#out + 1] = 'nospec'
    else
      for _, z in ipairs(zsets) do
        if redis.call('ZSCORE', z, ulid) then
          out[#out + 1] = ulid
          out[#out + 1] = 'many'
          break
        end
      end
    end
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
