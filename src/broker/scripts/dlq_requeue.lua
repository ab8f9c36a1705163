#!lua
-- dlq_requeue.lua: bring dead jobs back to pending with a fresh retry and stall budget
-- (attempts and history are kept).
-- KEYS[1] dead    ZSET
-- KEYS[2] pending LIST
-- KEYS[3] prio    ZSET
-- KEYS[4] seq     STRING
-- KEYS[5] specs   HASH
-- KEYS[6] meta    HASH
-- KEYS[7] stats   HASH
-- KEYS[8] wake    LIST
-- ARGV[1] queue name, [2] events channel, [3] 'all' or 'ids', [4] limit and [5] cutoff
-- (with 'all': the oldest jobs that died at or before the cutoff, ms, so paging through
-- the set never meets a job this operation requeued and that died again), then the ulids
-- (with 'ids', from ARGV[6])
-- Returns the requeued ulids.
local dead, pending, prio, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local specs, meta, stats, wake_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local queue, channel, mode = ARGV[1], ARGV[2], ARGV[3]
local ulids
if mode == 'all' then
  ulids = redis.call('ZRANGE', dead, '-inf', ARGV[5], 'BYSCORE', 'LIMIT', 0, ARGV[4])
else
  ulids = {}
  for i = 6, #ARGV do ulids[#ulids + 1] = ARGV[i] end
end
local back = {}
for _, ulid in ipairs(ulids) do
  if redis.call('ZREM', dead, ulid) == 1 then
    local spec = redis.call('HGET', specs, ulid)
    if spec then
      local m = load_meta(meta, ulid)
      m.f = 0
      m.s = 0
      m.ft = nil
      save_meta(meta, ulid, m)
      push_pending(pending, prio, seq, ulid, decode_header(spec).pr or 0, false)
      back[#back + 1] = ulid
    end
  end
end
if #back > 0 then
  redis.call('HINCRBY', stats, 'requeued', #back)
  wake(wake_key)
end
publish(channel, 'pending', queue, back)
return back
