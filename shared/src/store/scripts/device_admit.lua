-- Admits a job to one device, or renews the slot it holds. KEYS: the device's slot set,
-- circuit hash, lockout. ARGV: member (`s:<job>` or `x:<job>`), shared-slot limit, '1' for
-- exclusive, lease ms, 'admit' (check the lockout and the circuit, then take the slot) or
-- 'renew' (the slot only), now ms (the worker's clock, for the circuit; '' when the
-- breaker is off), cool-down ms.
-- Returns {answer, n}: {'locked', seconds left}, {'open', 0}, {'busy', 0}, {'closed', 0}
-- (the slot is taken), {'trial', 0} (taken, and the job is the half-open circuit's trial),
-- or {'held', 0} (the job held the slot already: renewed; another delivery of the job may
-- be running). Nothing is written unless the slot is taken or renewed.
local admit = ARGV[5] == 'admit'
if admit then
  local locked_ms = redis.call('PTTL', KEYS[3])
  if locked_ms > 0 then return {'locked', math.floor((locked_ms + 999) / 1000)} end
end
local trial = false
if admit and ARGV[6] ~= '' then
  local state = redis.call('HGET', KEYS[2], 'state') or 'closed'
  if state ~= 'closed' then
    local until_ms = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
    if tonumber(ARGV[6]) < until_ms then return {'open', 0} end
    trial = true
  end
end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local member, limit, exclusive, lease = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4])
local held = redis.call('ZSCORE', KEYS[1], member)
if not held then
  local holders = redis.call('ZRANGE', KEYS[1], 0, -1)
  if exclusive and #holders > 0 then return {'busy', 0} end
  if #holders >= limit then return {'busy', 0} end
  for _, holder in ipairs(holders) do
    if string.sub(holder, 1, 2) == 'x:' then return {'busy', 0} end
  end
end
redis.call('ZADD', KEYS[1], now_ms + lease, member)
redis.call('PEXPIRE', KEYS[1], lease + 60000)
if held then return {'held', 0} end
if trial then
  redis.call('HSET', KEYS[2], 'state', 'half-open', 'until', tonumber(ARGV[6]) + tonumber(ARGV[7]))
  return {'trial', 0}
end
return {'closed', 0}
