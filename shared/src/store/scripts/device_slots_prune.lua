-- KEYS: one device's slot set. Drops its holders whose lease expired (by Redis's clock,
-- the one the workers' leases are scored by).
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
