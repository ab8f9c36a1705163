#!lua flags=no-writes
-- stream_read.lua (read only): a job's status parts and the chunks of its output after a
-- position, read together: every chunk of an attempt before the status's current one is
-- already stored (its worker flushed them before its outcome, and a lost lease refuses
-- more), so a reader never announces an attempt before the end of the one before.
-- KEYS[1] stream:<ulid> STREAM
-- KEYS[2] done:<ulid>   STRING
-- KEYS[3] specs     HASH
-- KEYS[4] meta      HASH
-- KEYS[5] active    ZSET
-- KEYS[6] scheduled ZSET
-- KEYS[7] retry     ZSET
-- KEYS[8] dead      ZSET
-- ARGV[1] ulid, [2] '-' to read from the first retained chunk, else the id of the last
-- chunk read (<attempt>-<seq>), [3] most chunks to return, [4] byte budget: no chunk
-- follows one that brings the reply's chunk bytes to it
-- Returns {} for an unknown job, else {state, header JSON, meta JSON|false, due ms|false,
-- result content type|false}, then 3 per chunk: id, bytes, the id it follows ('' for the
-- job's first chunk) or false when it follows seq - 1 of its own attempt.
local stream, done, specs, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local active, scheduled, retry, dead = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local ulid, after, limit, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

local out
local rec = read_done(done)
if rec then
  local ct = false
  if rec[4] ~= '' then ct = rec[4] end
  out = {rec[1], rec[2], rec[3], false, ct}
else
  local spec = redis.call('HGET', specs, ulid)
  if not spec then return {} end
  local state, due = 'pending', false
  if redis.call('ZSCORE', active, ulid) then
    state = 'active'
  elseif redis.call('ZSCORE', dead, ulid) then
    state = 'dead'
  else
    local s = redis.call('ZSCORE', scheduled, ulid)
    if s then
      state, due = 'scheduled', s
    else
      s = redis.call('ZSCORE', retry, ulid)
      if s then state, due = 'retry', s end
    end
  end
  out = {state, header_of(spec), redis.call('HGET', meta, ulid), due, false}
end
local from = '-'
if after ~= '-' then from = '(' .. after end
local entries = redis.call('XRANGE', stream, from, '+', 'COUNT', limit)
local bytes = 0
for _, entry in ipairs(entries) do
  local f = entry[2]
  out[#out + 1] = entry[1]
  out[#out + 1] = f[2]
  if f[6] then out[#out + 1] = f[6] else out[#out + 1] = false end
  bytes = bytes + #f[2]
  if bytes >= budget then break end
end
return out
