#!lua
-- recall.lua: the jobs a worker holds by claims whose answers it never got (the connection
-- broke after Redis ran the claim): the active jobs of one queue leased to the worker, with
-- a lease deadline in a window around what those claims set, returned as claim.lua returns
-- jobs, their leases renewed. The worker skips the ones it knows and runs the others, in
-- the attempt the lost claim began, instead of leaving them to their lease's expiry.
-- KEYS[1] active   ZSET  ulid -> lease deadline (ms)
-- KEYS[2] specs    HASH
-- KEYS[3] payloads HASH
-- KEYS[4] meta     HASH
-- ARGV[1] worker id, [2] earliest deadline (ms), [3] latest deadline (ms), [4] lease ms,
-- [5] most entries looked at
-- Returns {-1, 0, -1, ulid, attempt, spec, payload|false, receipt (0: none), ...}
local active, specs, payloads, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local worker, lease = ARGV[1], tonumber(ARGV[4])
local ulids = redis.call('ZRANGEBYSCORE', active, ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[5]))
local out = {-1, 0, -1}
if #ulids == 0 then return out end
local meta_of = call_many('HMGET', meta, ulids)
local deadline = now_ms() + lease
for i, ulid in ipairs(ulids) do
  local raw = meta_of[i]
  local m = raw and cjson.decode(raw)
  local spec = m and m.w == worker and m.a and redis.call('HGET', specs, ulid)
  if spec then
    local payload = false
    if string.byte(spec, -1) == 10 then payload = redis.call('HGET', payloads, ulid) end
    redis.call('ZADD', active, 'XX', deadline, ulid)
    local n = #out
    out[n + 1] = ulid
    out[n + 2] = m.a
    out[n + 3] = spec
    out[n + 4] = payload
    out[n + 5] = m.r or 0
  end
end
return out
