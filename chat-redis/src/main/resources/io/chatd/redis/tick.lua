-- ARGV: prefix, node, alive (ms), an epoch to set when there is none. This node's heartbeat: it states it is
-- alive, and reaps every node whose heartbeat expired (its users leave their rooms), exactly once, since the
-- script runs alone. Returns {epoch, 1 when this node had been reaped itself, users reaped}.
local node = ARGV[2]
local epoch = redis.call('GET', P .. 'epoch')
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', P .. 'epoch', epoch)
end
redis.call('SET', P .. 'node:' .. node .. ':alive', '1', 'PX', ARGV[3])
local was_reaped = redis.call('SADD', P .. 'nodes', node)
local reaped = 0
for _, other in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  if other ~= node and redis.call('EXISTS', P .. 'node:' .. other .. ':alive') == 0 then
    redis.call('SREM', P .. 'nodes', other)
    reaped = reaped + reap(other)
  end
end
return {epoch, was_reaped, reaped}
