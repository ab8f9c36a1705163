#!lua
-- recover.lua: the reaper's recovery pass over one queue. Requeues jobs whose lease
-- expired and, at once, the active jobs of workers known to be gone; a spent stall budget
-- makes a job dead ("worker lost"). Every job is re-checked here, so two reapers running
-- this at the same moment requeue a job once.
-- KEYS[1] active   ZSET
-- KEYS[2] pending  LIST
-- KEYS[3] prio     ZSET
-- KEYS[4] seq      STRING
-- KEYS[5] specs    HASH
-- KEYS[6] payloads HASH
-- KEYS[7] meta     HASH
-- KEYS[8] dead     ZSET
-- KEYS[9] stats    HASH
-- KEYS[10] wake    LIST
-- KEYS[11] notify  LIST  callbacks for the reaper to send (jobs buried here)
-- KEYS[12] starts  ZSET  worker -> receipt of its last buffered job that reached a handler
--                 (see never_started); a gone worker's entry goes once its jobs are back
-- ARGV[1] queue name, [2] events channel, [3] limit, [4] dead-letter cap,
-- then the ids of workers that stopped heartbeating
-- Returns {requeued, buried, [ulid, state]...} (state 'pending' or 'dead').
local K = {active = KEYS[1], pending = KEYS[2], prio = KEYS[3], seq = KEYS[4],
  specs = KEYS[5], payloads = KEYS[6], meta = KEYS[7], dead = KEYS[8], stats = KEYS[9],
  notify = KEYS[11], starts = KEYS[12]}
local wake_key = KEYS[10]
local queue, channel = ARGV[1], ARGV[2]
local limit, dead_cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()

local requeued, buried = recover_expired(K, now, limit, dead_cap)

if #ARGV > 4 then
  local gone = {}
  for i = 5, #ARGV do gone[ARGV[i]] = true end
  local running = redis.call('ZRANGE', K.active, 0, -1)
  for _, ulid in ipairs(running) do
    local raw = redis.call('HGET', K.meta, ulid)
    local owner = raw and cjson.decode(raw).w
    if owner and gone[owner] then
      local r = requeue_lost(K, ulid, now, 'worker ' .. owner .. ' stopped heartbeating', dead_cap)
      if r == 'pending' then requeued[#requeued + 1] = ulid
      elseif r == 'dead' then buried[#buried + 1] = ulid end
    end
  end
  -- every job the gone workers held is back: their watermarks are not needed any more
  local names = {}
  for name in pairs(gone) do names[#names + 1] = name end
  call_many('ZREM', K.starts, names)
end

if #requeued > 0 then wake(wake_key) end
publish(channel, 'pending', queue, requeued)
publish(channel, 'dead', queue, buried)
local out = {#requeued, #buried}
for _, u in ipairs(requeued) do out[#out + 1] = u; out[#out + 1] = 'pending' end
for _, u in ipairs(buried) do out[#out + 1] = u; out[#out + 1] = 'dead' end
return out
