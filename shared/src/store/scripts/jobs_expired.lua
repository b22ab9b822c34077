-- The reaper's look at one job bucket: started jobs whose lease expired, with their
-- holders, and queued jobs past their queue deadline, oldest first, at most ARGV[2] of
-- each. KEYS: leases (zset job → expiry ms), lease holders (hash job → `attempt|worker`),
-- queue deadlines (zset job → deadline ms). ARGV: now ms, limit.
-- Returns {{job, expiry ms, holder ('' if none), …}, {job, deadline ms, …}}.
local leases = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local expired = {}
for i = 1, #leases, 2 do
  expired[#expired + 1] = leases[i]
  expired[#expired + 1] = leases[i + 1]
  expired[#expired + 1] = redis.call('HGET', KEYS[2], leases[i]) or ''
end
local overdue = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
return {expired, overdue}
