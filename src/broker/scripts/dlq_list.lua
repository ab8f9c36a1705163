#!lua flags=no-writes
-- dlq_list.lua (read only): the newest entries of one queue's dead-letter set.
-- KEYS[1] dead  ZSET  ulid -> died at (ms)
-- KEYS[2] specs HASH
-- KEYS[3] meta  HASH
-- ARGV[1] offset, [2] limit
-- Returns {total, ulid, header JSON, meta JSON, ...}, newest first.
local dead, specs, meta = KEYS[1], KEYS[2], KEYS[3]
local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {redis.call('ZCARD', dead)}
if limit <= 0 then return out end
local ulids = redis.call('ZREVRANGE', dead, offset, offset + limit - 1)
for _, ulid in ipairs(ulids) do
  local spec = redis.call('HGET', specs, ulid)
  if spec then
    out[#out + 1] = ulid
    out[#out + 1] = header_of(spec)
    out[#out + 1] = redis.call('HGET', meta, ulid) or '{}'
  end
end
return out
