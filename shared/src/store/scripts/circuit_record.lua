-- KEYS: circuit hash. ARGV: now ms, cool-down ms, threshold, '1' for a connection failure.
-- Returns opened | closed | same, and the failure count. The expiry is set after the
-- writes, so a circuit created by this call gets one too.
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local now, cool = tonumber(ARGV[1]), tonumber(ARGV[2])
local result = {'same', 0}
if ARGV[4] == '1' then
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  result = {'same', failures}
  if state == 'half-open' or (state == 'closed' and failures >= tonumber(ARGV[3])) then
    redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + cool)
    result = {'opened', failures}
  end
else
  redis.call('HSET', KEYS[1], 'failures', 0)
  if state ~= 'closed' then
    redis.call('HSET', KEYS[1], 'state', 'closed')
    result = {'closed', 0}
  end
end
redis.call('PEXPIRE', KEYS[1], cool + 86400000)
return result
