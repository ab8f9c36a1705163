#!lua
-- progress.lua: store a running job's progress, fenced by its lease, and announce it.
-- KEYS[1] active ZSET
-- KEYS[2] meta   HASH
-- ARGV[1] ulid, [2] attempt, [3] worker id, [4] percent (0-100), [5] message ('' none),
-- [6] queue name, [7] events channel
-- Returns 1 stored, 0 refused (lease lost).
local active, meta = KEYS[1], KEYS[2]
local ulid, attempt, worker = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local m = holds_lease(active, meta, ulid, attempt, worker)
if not m then return 0 end
m.p = tonumber(ARGV[4])
if ARGV[5] ~= '' then m.pm = ARGV[5] else m.pm = nil end
save_meta(meta, ulid, m)
publish(ARGV[7], 'progress', ARGV[6], {ulid})
return 1
