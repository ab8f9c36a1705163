-- complete.lua: record the results of jobs that succeeded, fenced by their lease.
-- KEYS[1] active   ZSET
-- KEYS[2] specs    HASH
-- KEYS[3] payloads HASH
-- KEYS[4] meta     HASH
-- KEYS[5] stats    HASH
-- KEYS[6..] done:<ulid> HASH, one per job in ARGV order
-- ARGV[1] worker id, [2] queue name, [3] events channel, [4] default result ttl ms,
-- then 4 per job: ulid, attempt, result bytes, result content type
-- Returns one code per job: 1 recorded, 2 already recorded by this same attempt (a retried
-- call), 0 refused: the worker no longer holds the lease, so it must not write an outcome.
local active, specs, payloads, meta, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local worker, queue, channel = ARGV[1], ARGV[2], ARGV[3]
local default_ttl = tonumber(ARGV[4])
local now = now_ms()
local codes, done_ids = {}, {}
local j = 0
for i = 5, #ARGV, 4 do
  j = j + 1
  local done = KEYS[5 + j]
  local ulid, attempt = ARGV[i], tonumber(ARGV[i + 1])
  local m = holds_lease(active, meta, ulid, attempt, worker)
  local spec = m and redis.call('HGET', specs, ulid)
  if spec then
    local hdr_text = header_of(spec)
    local hdr = cjson.decode(hdr_text)
    close_attempt(m, now, 'succeeded', nil)
    m.ft = now
    m.e = nil
    redis.call('HSET', done, 'x', 'succeeded', 'h', hdr_text, 'm', cjson.encode(m),
      'r', ARGV[i + 2], 'c', ARGV[i + 3])
    redis.call('PEXPIRE', done, hdr.rt or default_ttl)
    forget(specs, payloads, meta, ulid)
    redis.call('ZREM', active, ulid)
    codes[j] = 1
    done_ids[#done_ids + 1] = ulid
  else
    codes[j] = 0
    local prev = redis.call('HGET', done, 'm')
    if prev then
      local pm = cjson.decode(prev)
      if pm.a == attempt and pm.w == worker and redis.call('HGET', done, 'x') == 'succeeded' then
        codes[j] = 2
      end
    end
  end
end
if #done_ids > 0 then redis.call('HINCRBY', stats, 'succeeded', #done_ids) end
publish(channel, 'succeeded', queue, done_ids)
return codes
