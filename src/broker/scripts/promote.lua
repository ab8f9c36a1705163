#!lua
-- promote.lua: move due scheduled and retry jobs of one queue to pending.
-- KEYS[1] scheduled ZSET
-- KEYS[2] retry     ZSET
-- KEYS[3] pending   LIST
-- KEYS[4] prio      ZSET
-- KEYS[5] seq       STRING
-- KEYS[6] specs     HASH
-- KEYS[7] wake      LIST
-- ARGV[1] queue name, [2] events channel, [3] limit per set
-- Returns {moved, next_due_ms (-1 none)}.
local scheduled, retry, pending, prio = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local seq, specs, wake_key = KEYS[5], KEYS[6], KEYS[7]
local queue, channel, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local moved = promote_due(scheduled, specs, pending, prio, seq, now, limit)
for _, u in ipairs(promote_due(retry, specs, pending, prio, seq, now, limit)) do
  moved[#moved + 1] = u
end
if #moved > 0 then wake(wake_key) end
publish(channel, 'pending', queue, moved)
return {#moved, next_due_in(scheduled, retry, now)}
