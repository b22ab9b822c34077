-- Takes (or renews) a slot on one device. KEYS: the device's slot set. ARGV: member
-- (`s:<job>` or `x:<job>`), shared-slot limit, '1' for exclusive, lease ms. Returns 1 if
-- taken, 0 if the device is busy.
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local member, limit, exclusive, lease = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4])
if not redis.call('ZSCORE', KEYS[1], member) then
  local holders = redis.call('ZRANGE', KEYS[1], 0, -1)
  if exclusive and #holders > 0 then return 0 end
  if #holders >= limit then return 0 end
  for _, holder in ipairs(holders) do
    if string.sub(holder, 1, 2) == 'x:' then return 0 end
  end
end
redis.call('ZADD', KEYS[1], now_ms + lease, member)
redis.call('PEXPIRE', KEYS[1], lease + 60000)
return 1
