#!lua
-- limits.lua: change a queue's limits (rate, burst, max_active) in one step. A new or
-- changed rate keeps the tokens already saved (up to the new burst); a first rate starts
-- with a full bucket. Wakes an idle worker, since looser limits may let a job start.
-- KEYS[1] limits HASH  rate (text), per, period (ms), burst, max_active, tokens, ts
-- KEYS[2] wake   LIST
-- ARGV[1] rate: '-' keep, '' clear, else its text; [2] per, [3] period ms (with a rate)
-- ARGV[4] burst: '-' keep, '' clear (default 1), else N
-- ARGV[5] max_active: '-' keep, '' clear, else N
-- Returns {'ok', rate|false, burst|false, max_active|false} as stored now, or
-- {'burst_needs_rate'} (nothing changed: a burst without a rate means nothing).
local limits, wake_key = KEYS[1], KEYS[2]
local rate, per, period, burst, max_active = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now = now_ms()

local old = redis.call('HMGET', limits, 'rate', 'per', 'period', 'burst', 'tokens', 'ts')
local has_rate = (rate == '-' and old[1] ~= false) or (rate ~= '-' and rate ~= '')
if not has_rate and burst ~= '-' and burst ~= '' then return {'burst_needs_rate'} end

if rate == '' then
  redis.call('HDEL', limits, 'rate', 'per', 'period', 'burst', 'tokens', 'ts')
elseif rate ~= '-' or burst ~= '-' then
  -- the level the old bucket reached by now, if there was one
  local level = nil
  if old[2] and old[3] then
    local interval = tonumber(old[3]) / tonumber(old[2])
    level = tonumber(old[5] or old[4] or '1')
    local since = now - tonumber(old[6] or now)
    if since > 0 then level = level + since / interval end
  end
  if rate ~= '-' then redis.call('HSET', limits, 'rate', rate, 'per', per, 'period', period) end
  if burst == '' then
    redis.call('HDEL', limits, 'burst')
  elseif burst ~= '-' then
    redis.call('HSET', limits, 'burst', burst)
  end
  local cap = tonumber(redis.call('HGET', limits, 'burst') or '1')
  if level == nil or level > cap then level = cap end
  redis.call('HSET', limits, 'tokens', tostring(level), 'ts', tostring(now))
end

if max_active == '' then
  redis.call('HDEL', limits, 'max_active')
elseif max_active ~= '-' then
  redis.call('HSET', limits, 'max_active', max_active)
end

wake(wake_key)
local now_set = redis.call('HMGET', limits, 'rate', 'burst', 'max_active')
return {'ok', now_set[1], now_set[2], now_set[3]}
