-- The one way a job's status moves. KEYS: record, leases (zset job → expiry ms), lease
-- holders (hash job → `attempt|worker`), queue deadlines (zset job → deadline ms).
-- ARGV: new value, TTL s, allowed current states (comma-separated `status` or
-- `status:attempts`), job id, lease holder and expiry ms (when moving to `started`),
-- queue deadline ms (when moving back to `queued`; may be empty).
local current = redis.call('GET', KEYS[1])
local status, attempts = 'queued', '0'
if current then
  status, attempts = string.match(current, '^([a-z]+):?(%d*)|')
  status = status or ''
  if attempts == nil or attempts == '' then attempts = '0' end
end
local allowed_now = false
for allowed in string.gmatch(ARGV[3], '[^,]+') do
  if allowed == status or allowed == status .. ':' .. attempts then allowed_now = true end
end
if not allowed_now then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local job, new = ARGV[4], string.match(ARGV[1], '^([a-z]+)')
if new == 'started' then
  redis.call('ZADD', KEYS[2], ARGV[6], job)
  redis.call('HSET', KEYS[3], job, ARGV[5])
else
  redis.call('ZREM', KEYS[2], job)
  redis.call('HDEL', KEYS[3], job)
end
if new == 'queued' then
  if ARGV[7] ~= '' then redis.call('ZADD', KEYS[4], ARGV[7], job) end
else
  redis.call('ZREM', KEYS[4], job)
end
return 1
