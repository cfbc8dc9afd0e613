-- ARGV: prefix, room, user, node, connection. The mirror of join.lua.
local room, user, node = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SREM', P .. 'node:' .. node .. ':pres', room .. '\n' .. user) == 0 then
  return 0
end
presence_leave(room, user, node, ARGV[5])
return 1
