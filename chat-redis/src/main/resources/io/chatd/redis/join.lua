-- ARGV: prefix, room, user, node, connection. USER has a first connection in ROOM on NODE: one node more; the
-- first node tells the room. Returns 1 when the node was not counted yet.
local room, user, node = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SADD', P .. 'node:' .. node .. ':pres', room .. '\n' .. user) == 0 then
  return 0
end
if redis.call('HINCRBY', P .. 'r:' .. room .. ':users', user, 1) == 1 then
  local names = P .. 'r:' .. room .. ':names'
  redis.call('ZADD', names, 0, user)
  redis.call('PUBLISH', P .. 'r:' .. room, cjson.encode({t = 'j', r = room, u = user,
    n = redis.call('ZCARD', names), ts = now_ms(), o = node, k = ARGV[5]}))
end
return 1
