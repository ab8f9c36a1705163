#!lua flags=no-writes
-- status.lua (read only): find a job wherever it is and return what its status is made of,
-- without copying a large payload.
-- KEYS[1] done:<ulid> STRING
-- KEYS[2] specs     HASH
-- KEYS[3] meta      HASH
-- KEYS[4] active    ZSET
-- KEYS[5] scheduled ZSET
-- KEYS[6] retry     ZSET
-- KEYS[7] dead      ZSET
-- ARGV[1] ulid, [2] 1 to include the result bytes
-- Returns {} for an unknown job, else {state, header JSON, meta JSON|false, due ms|false,
-- result content type|false, result|false}.
local done, specs, meta = KEYS[1], KEYS[2], KEYS[3]
local active, scheduled, retry, dead = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local ulid, with_result = ARGV[1], ARGV[2] == '1'

local rec, at = read_done(done)
if rec then
  local result, ct = false, false
  if rec[4] ~= '' then ct = rec[4] end
  if with_result then result = redis.call('GETRANGE', done, at, -1) end
  return {rec[1], rec[2], rec[3], false, ct, result}
end
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
return {state, header_of(spec), redis.call('HGET', meta, ulid), due, false, false}
