-- KEYS: circuit hash. ARGV: now ms, cool-down ms. Returns closed | open | trial.
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return 'closed' end
local now, until_ms = tonumber(ARGV[1]), tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < until_ms then return 'open' end
redis.call('HSET', KEYS[1], 'state', 'half-open', 'until', now + tonumber(ARGV[2]))
return 'trial'
