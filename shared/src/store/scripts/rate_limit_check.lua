-- KEYS: caller window, caller+device window. ARGV: window ms, caller limit, device limit,
-- a unique member. Returns {allowed, caller remaining, device remaining, reset (Unix ms),
-- ms until then (by Redis's clock, the one every replica shares)}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local counts, reset = {}, now + window
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  counts[i] = redis.call('ZCARD', key)
  if counts[i] >= limits[i] then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local frees = tonumber(oldest[2]) + window
    return {0, limits[1] - counts[1], limits[2] - (counts[2] or 0), frees, frees - now}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  reset = math.min(reset, tonumber(oldest[2]) + window)
end
return {1, limits[1] - counts[1] - 1, limits[2] - counts[2] - 1, reset, reset - now}
