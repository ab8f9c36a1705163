#!lua flags=allow-oom
-- dlq_purge.lua: delete dead jobs for good, one page per call. Also the janitor's trim:
-- with a cutoff age, only entries that died before it go.
-- KEYS[1] dead     ZSET
-- KEYS[2] specs    HASH
-- KEYS[3] payloads HASH
-- KEYS[4] meta     HASH
-- ARGV[1] 'all', 'before' or 'ids'; with 'all': [2] limit, [3] cutoff (the oldest jobs that
-- died at or before it, ms: a purge of "all" takes the jobs dead when it began, so paging
-- never chases jobs buried meanwhile); with 'before': [2] cutoff age ms, [3] limit; with
-- 'ids': the ulids from ARGV[2]
-- Returns the number of jobs deleted.
local dead, specs, payloads, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode = ARGV[1]
local ulids
if mode == 'all' then
  ulids = redis.call('ZRANGE', dead, '-inf', ARGV[3], 'BYSCORE', 'LIMIT', 0, ARGV[2])
elseif mode == 'before' then
  local cutoff = now_ms() - tonumber(ARGV[2])
  ulids = redis.call('ZRANGEBYSCORE', dead, '-inf', '(' .. cutoff, 'LIMIT', 0, tonumber(ARGV[3]))
else
  ulids = {}
  for i = 2, #ARGV do ulids[#ulids + 1] = ARGV[i] end
end
local n = 0
for _, ulid in ipairs(ulids) do
  if redis.call('ZREM', dead, ulid) == 1 then
    forget(specs, payloads, meta, ulid)
    n = n + 1
  end
end
return n
