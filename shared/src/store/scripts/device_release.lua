-- Releases a job's slot on one device and records how the job fared there. KEYS: the
-- device's slot set, circuit hash, login failure log, lockout. ARGV: member; for the
-- circuit: now ms ('' to leave it alone), cool-down ms, threshold, '1' for a connection
-- failure; for the logins: 'failed', 'succeeded' or '' (neither), window ms, threshold,
-- lock ms, a unique member.
-- Returns {circuit change: opened | closed | same, circuit failure count, the login failure
-- count when this failure locked the device (else 0)}. The circuit's expiry is set after
-- its writes, so a circuit created here gets one too.
redis.call('ZREM', KEYS[1], ARGV[1])
local result = {'same', 0, 0}
if ARGV[2] ~= '' then
  local state = redis.call('HGET', KEYS[2], 'state') or 'closed'
  local now, cool = tonumber(ARGV[2]), tonumber(ARGV[3])
  if ARGV[5] == '1' then
    local failures = redis.call('HINCRBY', KEYS[2], 'failures', 1)
    result[2] = failures
    if state == 'half-open' or (state == 'closed' and failures >= tonumber(ARGV[4])) then
      redis.call('HSET', KEYS[2], 'state', 'open', 'until', now + cool)
      result[1] = 'opened'
    end
  else
    redis.call('HSET', KEYS[2], 'failures', 0)
    if state ~= 'closed' then
      redis.call('HSET', KEYS[2], 'state', 'closed')
      result[1] = 'closed'
    end
  end
  redis.call('PEXPIRE', KEYS[2], cool + 86400000)
end
if ARGV[6] == 'failed' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[7]))
  redis.call('ZADD', KEYS[3], now, ARGV[10])
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
  local count = redis.call('ZCARD', KEYS[3])
  if count >= tonumber(ARGV[8]) and redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('SET', KEYS[4], count, 'PX', ARGV[9])
    result[3] = count
  end
elseif ARGV[6] == 'succeeded' then
  redis.call('DEL', KEYS[3])
end
return result
