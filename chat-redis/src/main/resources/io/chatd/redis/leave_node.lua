-- ARGV: prefix, node. NODE leaves the cluster (it stops, or starts again under the same id after a crash): its
-- users leave their rooms. Returns how many.
redis.call('SREM', P .. 'nodes', ARGV[2])
redis.call('DEL', P .. 'node:' .. ARGV[2] .. ':alive')
return reap(ARGV[2])
