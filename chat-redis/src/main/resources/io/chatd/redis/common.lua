-- Shared by every chatd script: prepended to each. ARGV[1] is the key prefix of every script.
local P = ARGV[1]

-- Redis's clock in milliseconds, as a string: one clock for every node.
local function now_ms()
  local t = redis.call('TIME')
  return string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end

local function str(n)
  return string.format('%.0f', n)
end

-- The seq after the last of KEY; a name with no key (new, or forgotten after its TTL) continues above FLOOR, the
-- highest seq ever given, so that a stale "since" can never name two messages.
local function next_seq(key, floor)
  local last = redis.call('GET', key) or redis.call('GET', floor) or '0'
  return tonumber(last) + 1
end

local function commit_seq(key, floor, seq, ttl_ms)
  redis.call('SET', key, str(seq), 'PX', ttl_ms)
  if seq > tonumber(redis.call('GET', floor) or '0') then
    redis.call('SET', floor, str(seq))
  end
end

-- The key recording that FROM sent ID within the dedup window; nil for a send without an id.
local function id_key(from, id)
  if id == '' then
    return nil
  end
  return P .. 'id:' .. from .. '\n' .. id
end

-- A send whose id was seen within the window: the original's ack for the same content, a conflict otherwise.
local function earlier_send(prior, digest)
  local d, seq, ts, stored = string.match(prior, '^(%S+) (%d+) (%d+) (%d)$')
  if d ~= digest then
    return {'conflict', '0', '0', '0'}
  end
  return {'resend', seq, ts, stored}
end

-- USER has no connection left in ROOM on one node: one node fewer; the last one tells the room.
local function presence_leave(room, user, node, conn)
  local users = P .. 'r:' .. room .. ':users'
  if redis.call('HINCRBY', users, user, -1) > 0 then
    return
  end
  redis.call('HDEL', users, user)
  local names = P .. 'r:' .. room .. ':names'
  redis.call('ZREM', names, user)
  redis.call('PUBLISH', P .. 'r:' .. room, cjson.encode({t = 'l', r = room, u = user,
    n = redis.call('ZCARD', names), ts = now_ms(), o = node, k = conn}))
end

-- Every presence NODE holds leaves, as if each of its users closed; returns how many.
local function reap(node)
  local set = P .. 'node:' .. node .. ':pres'
  local members = redis.call('SMEMBERS', set)
  for _, m in ipairs(members) do
    local room, user = string.match(m, '^(.-)\n(.*)$')
    presence_leave(room, user, node, '')
  end
  redis.call('DEL', set)
  return #members
end
