-- ARGV: prefix, to, from, seq, ts, content, offline max, offline TTL (ms). Stores a private message that reached
-- a node after its recipient left it.
local inbox = P .. 'u:' .. ARGV[2] .. ':inbox'
local entry = redis.call('INCR', P .. 'inbox:ids')
redis.call('XADD', inbox, 'MAXLEN', ARGV[7], str(entry) .. '-0', 'f', ARGV[3], 's', ARGV[4], 't', ARGV[5],
  'c', ARGV[6])
redis.call('PEXPIRE', inbox, ARGV[8])
return entry
