-- ARGV: prefix, room, after ('' for the first), limit. Returns {user count, up to limit + 1 users after AFTER}.
local names = P .. 'r:' .. ARGV[2] .. ':names'
local from = ARGV[3] == '' and '-' or '(' .. ARGV[3]
return {redis.call('ZCARD', names), redis.call('ZRANGEBYLEX', names, from, '+', 'LIMIT', 0, tonumber(ARGV[4]) + 1)}
