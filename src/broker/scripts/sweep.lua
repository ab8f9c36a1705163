#!lua
-- sweep.lua: check that each given job sits in exactly one state structure, and repair it
-- when not. Candidates come from a scan done outside; everything is re-checked here.
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
-- ARGV: the ulids to check
-- Repairs: an index entry without a spec is dropped; a job in several structures keeps
-- the most advanced one (dead > active > retry > scheduled > pending); a job in none is
-- put back in pending; an active job without a lease owner (no meta) is requeued; meta
-- without a job is deleted.
-- Returns {repaired, ulid, what, ...}.
local pending, prio, seq, scheduled = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local retry, active, dead, specs = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local payloads, meta, wake_key = KEYS[9], KEYS[10], KEYS[11]
local out = {0}
local woke = false
local function note(ulid, what)
  out[1] = out[1] + 1
  out[#out + 1] = ulid
  out[#out + 1] = what
end

for i = 1, #ARGV do
  local ulid = ARGV[i]
  local spec = redis.call('HGET', specs, ulid)
  local places = {}
  for _, z in ipairs({dead, active, retry, scheduled, prio}) do
    if redis.call('ZSCORE', z, ulid) then places[#places + 1] = z end
  end
  local in_list = redis.call('LPOS', pending, ulid)
  if in_list then places[#places + 1] = pending end

  if not spec then
    if #places > 0 or redis.call('HEXISTS', meta, ulid) == 1 then
      for _, p in ipairs(places) do
        if p == pending then redis.call('LREM', pending, 0, ulid) else redis.call('ZREM', p, ulid) end
      end
      redis.call('HDEL', meta, ulid)
      redis.call('HDEL', payloads, ulid)
      note(ulid, 'orphan entry removed')
    end
  elseif #places == 0 then
    push_pending(pending, prio, seq, ulid, decode_header(spec).pr or 0, true)
    woke = true
    note(ulid, 'job in no state requeued')
  else
    -- keep the first (most advanced) place, drop the others
    for j = 2, #places do
      local p = places[j]
      if p == pending then redis.call('LREM', pending, 0, ulid) else redis.call('ZREM', p, ulid) end
    end
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
