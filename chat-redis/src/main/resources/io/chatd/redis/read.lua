-- ARGV: prefix, reader, with, seq, node, connection, conversation key. Publishes a read receipt to both users,
-- or returns 0 when seq is beyond the conversation's last.
local reader, with, seq = ARGV[2], ARGV[3], ARGV[4]
if tonumber(seq) > tonumber(redis.call('GET', P .. 'c:' .. ARGV[7] .. ':seq') or '0') then
  return 0
end
local receipt = {t = 'r', r = reader, w = with, s = seq, o = ARGV[5], k = ARGV[6], to = with}
redis.call('PUBLISH', P .. 'u:' .. with, cjson.encode(receipt))
if reader ~= with then
  receipt.to = reader
  redis.call('PUBLISH', P .. 'u:' .. reader, cjson.encode(receipt))
end
return 1
