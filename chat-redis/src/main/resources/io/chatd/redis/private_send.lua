-- ARGV: prefix, from, to, content, client id ('' for none), digest, offline max (0: do not store), offline TTL
-- (ms), dedup window (ms), conversation key. Numbers the message in its conversation and publishes it to the
-- nodes where TO has a connection; when there is none, stores it in TO's inbox (entry id = a global counter).
-- Returns {outcome, seq, ts, stored}.
local from, to, content, id, digest = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local offline_max, ttl = tonumber(ARGV[7]), ARGV[8]
local idkey = id_key(from, id)
local prior = idkey and redis.call('GET', idkey)
if prior then
  return earlier_send(prior, digest)
end
local seqkey, floor = P .. 'c:' .. ARGV[10] .. ':seq', P .. 'floor:conv'
local seq = next_seq(seqkey, floor)
local ts = now_ms()
local stored = '0'
local nodes = redis.call('PUBLISH', P .. 'u:' .. to, cjson.encode({t = 'p', f = from, to = to, s = str(seq),
  ts = ts, c = content}))
if nodes == 0 then
  if offline_max == 0 then
    return {'offline', '0', '0', '0'}
  end
  local inbox = P .. 'u:' .. to .. ':inbox'
  local entry = redis.call('INCR', P .. 'inbox:ids')
  redis.call('XADD', inbox, 'MAXLEN', offline_max, str(entry) .. '-0', 'f', from, 's', str(seq), 't', ts,
    'c', content)
  redis.call('PEXPIRE', inbox, ttl)
  stored = '1'
end
commit_seq(seqkey, floor, seq, ttl)
if idkey then
  redis.call('SET', idkey, digest .. ' ' .. str(seq) .. ' ' .. ts .. ' ' .. stored, 'PX', ARGV[9])
end
return {'new', str(seq), ts, stored}
