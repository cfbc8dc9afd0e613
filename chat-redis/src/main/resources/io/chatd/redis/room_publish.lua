-- ARGV: prefix, room, from, content, node, connection, client id ('' for none), digest, history size,
-- history TTL (ms), dedup window (ms). Numbers, appends to the room's stream (entry id = seq), publishes and
-- records the id, all at once. Returns {outcome, seq, ts, stored}.
local room, from, content, node, conn, id, digest = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local idkey = id_key(from, id)
local prior = idkey and redis.call('GET', idkey)
if prior then
  return earlier_send(prior, digest)
end
local seqkey, floor = P .. 'r:' .. room .. ':seq', P .. 'floor:room'
local seq = next_seq(seqkey, floor)
commit_seq(seqkey, floor, seq, ARGV[10])
local ts = now_ms()
local log = P .. 'r:' .. room .. ':log'
redis.call('XADD', log, 'MAXLEN', '~', ARGV[9], str(seq) .. '-0', 'f', from, 'c', content, 't', ts)
redis.call('PEXPIRE', log, ARGV[10])
redis.call('PUBLISH', P .. 'r:' .. room, cjson.encode({t = 'm', r = room, s = str(seq), ts = ts, f = from,
  c = content, o = node, k = conn}))
if idkey then
  redis.call('SET', idkey, digest .. ' ' .. str(seq) .. ' ' .. ts .. ' 0', 'PX', ARGV[11])
end
return {'new', str(seq), ts, '0'}
