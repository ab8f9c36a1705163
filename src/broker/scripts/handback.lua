#!lua
-- handback.lua: a draining worker returns jobs it will not finish. They go to the front of
-- pending without using a retry or a stall; the history says "handed_back".
-- KEYS[1] active  ZSET
-- KEYS[2] pending LIST
-- KEYS[3] prio    ZSET
-- KEYS[4] seq     STRING
-- KEYS[5] specs   HASH
-- KEYS[6] meta    HASH
-- KEYS[7] wake    LIST
-- ARGV[1] worker id, [2] queue name, [3] events channel, then pairs: ulid, attempt
-- Returns one code per job: 1 handed back, 0 refused (lease lost).
local active, pending, prio, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local specs, meta, wake_key = KEYS[5], KEYS[6], KEYS[7]
local worker, queue, channel = ARGV[1], ARGV[2], ARGV[3]
local now = now_ms()
local codes, back = {}, {}
for i = 4, #ARGV, 2 do
  local ulid, attempt = ARGV[i], tonumber(ARGV[i + 1])
  local m = holds_lease(active, meta, ulid, attempt, worker)
  local spec = m and redis.call('HGET', specs, ulid)
  if spec then
    redis.call('ZREM', active, ulid)
    close_attempt(m, now, 'handed_back', 'worker shut down before the job finished')
    save_meta(meta, ulid, m)
    push_pending(pending, prio, seq, ulid, decode_header(spec).pr or 0, true)
    codes[#codes + 1] = 1
    back[#back + 1] = ulid
  else
    codes[#codes + 1] = 0
  end
end
if #back > 0 then wake(wake_key) end
publish(channel, 'pending', queue, back)
return codes
