#!lua
-- sweep.lua: re-check jobs the sweep's scan flagged, each by its id, and repair what
-- breaks an invariant. Reads the pending list only near an index the scan saw (at most
-- SHIFT entries).
-- KEYS[1] pending   LIST
-- KEYS[2] prio      ZSET
-- KEYS[3] seq       STRING
-- KEYS[4] scheduled ZSET
-- KEYS[5] retry     ZSET
-- KEYS[6] active    ZSET
-- KEYS[7] dead      ZSET
-- KEYS[8] specs     HASH
-- KEYS[9] payloads  HASH
-- KEYS[10] meta     HASH
-- KEYS[11] wake     LIST
-- KEYS[12] stats    HASH  counts 'stale' pending entries (see pending_count)
-- ARGV: triples (ulid, kind, extra). Kinds: 'none' (in no ZSET and not seen in the
-- pending list by a walk that started after the scan; extra: its meta fingerprint then),
-- 'check' (flagged by a ZSET or meta scan; extra ''), 'listdup' (in the pending list and a
-- ZSET; extra: its negative list index, which every post since has moved one nearer the
-- head: the entry is looked for up to SHIFT entries further).
-- Repairs: an index entry without a spec is dropped; a job in several ZSETs keeps the most
-- advanced one (dead > active > retry > scheduled > prio); a pending-list entry of a job
-- that is in a ZSET too is blanked (claim skips it; counted stale); a job in no state is
-- put back in pending, but only when its meta is what the scan saw (else it moved: a
-- claim rewrites meta, and the next sweep looks again); an active job without a lease
-- owner (no meta) is requeued; meta without a job is deleted.
-- Returns {repaired, ulid, what, ...}.
local pending, prio, seq, scheduled = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local retry, active, dead, specs = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local payloads, meta, wake_key, stats = KEYS[9], KEYS[10], KEYS[11], KEYS[12]
-- what a blanked pending entry holds: no job has this id, so claim skips it
local BLANK = '-'
local SHIFT = 100
local out = {0}
local woke = false
local function note(ulid, what)
  out[1] = out[1] + 1
  out[#out + 1] = ulid
  out[#out + 1] = what
end

-- The (negative) index of ulid in the pending list, seen at `at` by the scan: there, or
-- up to SHIFT entries nearer the head (posts since moved it). nil when not there.
local function list_index(ulid, at)
  if redis.call('LINDEX', pending, at) == ulid then return at end
  local first = math.max(at - SHIFT, -redis.call('LLEN', pending))
  if first >= at then return nil end
  local near = redis.call('LRANGE', pending, first, at - 1)
  for j = #near, 1, -1 do
    if near[j] == ulid then return first + j - 1 end
  end
  return nil
end

for i = 1, #ARGV - 2, 3 do
  local ulid, kind, extra = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local spec = redis.call('HGET', specs, ulid)
  local places = {}
  for _, z in ipairs({dead, active, retry, scheduled, prio}) do
    if redis.call('ZSCORE', z, ulid) then places[#places + 1] = z end
  end

  if kind == 'listdup' then
    local at = nil
    if spec and #places > 0 then at = list_index(ulid, tonumber(extra)) end
    if at then
      redis.call('LSET', pending, at, BLANK)
      redis.call('HINCRBY', stats, 'stale', 1)
      note(ulid, 'duplicate state entries removed')
    end
  elseif not spec then
    if #places > 0 or redis.call('HEXISTS', meta, ulid) == 1 then
      for _, p in ipairs(places) do redis.call('ZREM', p, ulid) end
      redis.call('HDEL', meta, ulid)
      redis.call('HDEL', payloads, ulid)
      note(ulid, 'orphan entry removed')
    end
  elseif #places == 0 then
    if kind == 'none' and meta_fingerprint(meta, ulid) == extra then
      push_pending(pending, prio, seq, ulid, decode_header(spec).pr or 0, true)
      woke = true
      note(ulid, 'job in no state requeued')
    end
  else
    -- keep the first (most advanced) place, drop the others
    for j = 2, #places do redis.call('ZREM', places[j], ulid) end
    if #places > 1 then note(ulid, 'duplicate state entries removed') end
    if places[1] == active and redis.call('HEXISTS', meta, ulid) == 0 then
      -- running without a lease owner: nobody can finish it, requeue
      redis.call('ZREM', active, ulid)
      push_pending(pending, prio, seq, ulid, decode_header(spec).pr or 0, true)
      woke = true
      note(ulid, 'active job without a lease requeued')
    end
  end
end
if woke then wake(wake_key) end
return out
