#!lua flags=no-writes
-- read_done.lua (read only): the records of finished (succeeded or cancelled) jobs,
-- without their results, for a page of browsing.
-- KEYS[1..] done:<ulid> STRING, one per job
-- ARGV none
-- Returns one entry per key: {state, header JSON, meta JSON, result content type}, or
-- false when the record expired.
local out = {}
for i = 1, #KEYS do
  local rec = read_done(KEYS[i])
  if rec then out[i] = {rec[1], rec[2], rec[3], rec[4]} else out[i] = false end
end
return out
