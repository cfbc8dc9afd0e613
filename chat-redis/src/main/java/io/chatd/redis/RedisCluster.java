package io.chatd.redis;

import io.chatd.core.ChatConfig;
import io.chatd.core.cluster.Cluster;
import io.chatd.core.cluster.ClusterEvents;
import io.chatd.core.cluster.ClusterException;
import io.chatd.core.cluster.SendId;
import io.chatd.core.cluster.Sent;
import io.chatd.core.cluster.WhoPage;
import io.chatd.core.store.MessageStore;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.StoreState;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Cluster} on one Redis (7.0 or later): chat-core nodes that share a Redis serve one chat.
 *
 * <ul>
 *   <li>Every send is one Lua script ({@link Scripts}): numbering, the room's stream (entry id = seq) or the
 *       recipient's inbox, the idempotency record and the {@code PUBLISH}, at once. A script either ran whole or
 *       not at all, so an ack never outruns what Redis holds.</li>
 *   <li>Delivery comes from PUB/SUB only: a node subscribes to a room's channel while it has members there
 *       ({@code chatd:r:ROOM}) and to a user's channel while the user has connections on it ({@code chatd:u:USER}).
 *       Redis sends a subscriber a channel's messages in publish order, which is seq order.</li>
 *   <li>Presence counts, per room and user, the nodes where the user has a connection. Each node heartbeats every
 *       5 s with a 15 s expiry ({@code tick.lua}); a live node reaps a node whose heartbeat expired, once.</li>
 *   <li>Lettuce is told to refuse commands while disconnected, to bound its queue and to time out after 2 s:
 *       its defaults would queue without bound and replay after a reconnect.</li>
 * </ul>
 */
public final class RedisCluster implements Cluster {

    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);

    /** How often a node states it is alive, and how long it counts as alive after. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    static final Duration ALIVE = Duration.ofSeconds(15);
    /** A command that has no answer by then fails: a send gets {@code store_failed}, never a late ack. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** Commands queued in Lettuce at most; past it a send fails at once instead of waiting in memory. */
    static final int REQUEST_QUEUE = 65_536;

    /** The prefix of the daemon's keys and channels. */
    public static final String DEFAULT_PREFIX = "chatd:";

    private final RedisURI uri;
    private final String nodeId;
    private final String prefix;
    private ClientResources resources;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private RedisAsyncCommands<String, String> redis;
    private Subscriptions subscriptions;
    private Scripts scripts;
    private ScheduledExecutorService ticker;
    private volatile String epoch;
    private int historySize;
    private long historyTtlMillis;
    private int offlineMax;
    private long offlineTtlMillis;
    private long dedupMillis;

    /**
     * @param redisUri {@code redis://[user:pass@]host:port[/db]}, or {@code rediss://} for TLS
     * @param nodeId   unique in the cluster; null for a generated one
     * @param prefix   of every key and channel, so that several chats can share one Redis ({@code "chatd:"})
     */
    public RedisCluster(String redisUri, String nodeId, String prefix) {
        this.uri = RedisURI.create(Objects.requireNonNull(redisUri, "redisUri"));
        this.nodeId = nodeId != null ? nodeId : generatedNodeId();
        // CLIENT LIST then names each node's two connections.
        this.uri.setClientName("chatd-" + this.nodeId.replaceAll("[^A-Za-z0-9_.-]", "_"));
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        if (this.nodeId.isEmpty() || this.nodeId.contains("\n")) {
            throw new IllegalArgumentException("node id must be a non-empty line");
        }
    }

    private static String generatedNodeId() {
        byte[] bytes = new byte[6];
        new SecureRandom().nextBytes(bytes);
        StringBuilder id = new StringBuilder("node-");
        for (byte b : bytes) {
            id.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        }
        return id.toString();
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String start(ChatConfig config, ClusterEvents events) {
        historySize = config.historySize();
        historyTtlMillis = config.historyTtl().toMillis();
        offlineMax = config.offlineMaxPerUser();
        offlineTtlMillis = config.offlineTtl().toMillis();
        dedupMillis = config.dedupWindow().toMillis();
        resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                // Back within a second of Redis: the default waits up to 30 s between attempts.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                .build());
        try {
            connection = client.connect();
            redis = connection.async();
            StatefulRedisPubSubConnection<String, String> pubsub = client.connectPubSub();
            subscriptions = new Subscriptions(pubsub, prefix, events);
            scripts = new Scripts(redis);
            scripts.load();
            // A node that crashed and comes back under the same id: its old presence leaves first.
            Long stale = scripts.integer(Scripts.LEAVE_NODE, prefix, nodeId).toCompletableFuture()
                    .get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (stale > 0) {
                log.info("node {}: {} presences of an earlier run under this id left their rooms", nodeId, stale);
            }
            epoch = tick(StoreState.newEpoch()).toCompletableFuture().get(COMMAND_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS).epoch();
        } catch (Exception e) {
            close();
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new ClusterException("cannot use Redis at " + uri.getHost() + ":" + uri.getPort() + ": "
                    + cause.getMessage(), cause);
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chatd-cluster-heartbeat");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(() -> heartbeat(events), HEARTBEAT.toMillis(), HEARTBEAT.toMillis(),
                TimeUnit.MILLISECONDS);
        log.info("node {} joined the cluster on Redis {}:{} (epoch {})", nodeId, uri.getHost(), uri.getPort(), epoch);
        return epoch;
    }

    private record Tick(String epoch, boolean wasReaped, long reaped) {
    }

    private CompletionStage<Tick> tick(String epochIfNone) {
        return scripts.multi(Scripts.TICK, prefix, nodeId, Long.toString(ALIVE.toMillis()), epochIfNone)
                .thenApply(reply -> new Tick((String) reply.get(0), ((Long) reply.get(1)) == 1,
                        (Long) reply.get(2)));
    }

    /** States this node alive, reaps dead ones, and notices a Redis that lost its data or took this node for dead. */
    private void heartbeat(ClusterEvents events) {
        try {
            Tick tick = tick(StoreState.newEpoch()).toCompletableFuture().get(COMMAND_TIMEOUT.toMillis() * 2,
                    TimeUnit.MILLISECONDS);
            if (tick.reaped() > 0) {
                log.info("node {}: reaped {} presences of nodes whose heartbeat stopped", nodeId, tick.reaped());
            }
            if (!tick.epoch().equals(epoch)) {
                log.warn("Redis lost the cluster's data (epoch {} is now {}): closing every connection with 1012",
                        epoch, tick.epoch());
                epoch = tick.epoch();
                events.dataLost(tick.epoch());
            } else if (tick.wasReaped()) {
                log.warn("node {} had been taken for dead (no heartbeat for {} s): stating its presence again",
                        nodeId, ALIVE.toSeconds());
                events.presenceLost();
            }
        } catch (Exception e) {
            log.debug("heartbeat failed: {}", e.toString());
        }
    }

    @Override
    public boolean answering() {
        return connection != null && connection.isOpen();
    }

    // ---- rooms ----

    @Override
    public CompletionStage<Long> subscribeRoom(String room) {
        return subscriptions.subscribe(Keys.roomChannel(prefix, room)).thenCompose(ignored -> lastSeq(room));
    }

    @Override
    public void unsubscribeRoom(String room) {
        subscriptions.unsubscribe(Keys.roomChannel(prefix, room));
    }

    @Override
    public CompletionStage<Long> lastSeq(String room) {
        return redis.get(Keys.roomSeq(prefix, room)).thenApply(seq -> seq == null ? 0L : Long.parseLong(seq));
    }

    @Override
    public CompletionStage<Sent> publish(String room, String from, String content, SendId id,
                                         String originConnection) {
        return scripts.multi(Scripts.ROOM_PUBLISH, prefix, room, from, content, nodeId,
                originConnection == null ? "" : originConnection, id == null ? "" : id.clientId(),
                id == null ? "" : Long.toString(id.digest()), Integer.toString(historySize),
                Long.toString(historyTtlMillis), Long.toString(dedupMillis)).thenApply(RedisCluster::sent);
    }

    private static Sent sent(List<?> reply) {
        Sent.Outcome outcome = Sent.Outcome.valueOf(((String) reply.get(0)).toUpperCase(java.util.Locale.ROOT));
        return new Sent(outcome, Long.parseLong((String) reply.get(1)), Long.parseLong((String) reply.get(2)),
                "1".equals(reply.get(3)));
    }

    @Override
    public CompletionStage<List<RoomMessage>> roomMessages(String room, long afterSeq, long beforeSeq, int limit) {
        Range.Boundary<String> lower = afterSeq <= 0 ? Range.Boundary.unbounded()
                : Range.Boundary.excluding(afterSeq + "-0");
        Range.Boundary<String> upper = beforeSeq == Long.MAX_VALUE ? Range.Boundary.unbounded()
                : Range.Boundary.excluding(beforeSeq + "-0");
        return redis.xrevrange(Keys.roomLog(prefix, room), Range.from(lower, upper), Limit.create(0, limit))
                .thenApply(newestFirst -> {
                    List<RoomMessage> messages = new ArrayList<>(newestFirst.size());
                    for (int i = newestFirst.size() - 1; i >= 0; i--) {
                        StreamMessage<String, String> entry = newestFirst.get(i);
                        Map<String, String> body = entry.getBody();
                        messages.add(new RoomMessage(room, entryNumber(entry.getId()), Long.parseLong(body.get("t")),
                                body.get("f"), body.get("c")));
                    }
                    return messages;
                });
    }

    /** The number of a stream entry id {@code N-0}. */
    private static long entryNumber(String id) {
        return Long.parseLong(id.substring(0, id.indexOf('-')));
    }

    // ---- presence ----

    @Override
    public CompletionStage<Void> joined(String room, String user, String originConnection) {
        return scripts.integer(Scripts.JOIN, prefix, room, user, nodeId,
                originConnection == null ? "" : originConnection).thenApply(ignored -> null);
    }

    @Override
    public CompletionStage<Void> left(String room, String user, String originConnection) {
        return scripts.integer(Scripts.LEAVE, prefix, room, user, nodeId,
                originConnection == null ? "" : originConnection).thenApply(ignored -> null);
    }

    @Override
    public CompletionStage<WhoPage> who(String room, String after, int limit) {
        return scripts.multi(Scripts.WHO, prefix, room, after == null ? "" : after, Integer.toString(limit))
                .thenApply(reply -> {
                    int count = ((Long) reply.get(0)).intValue();
                    List<String> users = new ArrayList<>();
                    for (Object user : (List<?>) reply.get(1)) {
                        users.add((String) user);
                    }
                    boolean more = users.size() > limit;
                    return new WhoPage(more ? users.subList(0, limit) : users, count, more);
                });
    }

    // ---- users and private messages ----

    @Override
    public CompletionStage<Void> subscribeUser(String user) {
        return subscriptions.subscribe(Keys.userChannel(prefix, user));
    }

    @Override
    public void unsubscribeUser(String user) {
        subscriptions.unsubscribe(Keys.userChannel(prefix, user));
    }

    @Override
    public CompletionStage<List<PrivateMessage>> inbox(String user, int limit) {
        return redis.xrange(Keys.inbox(prefix, user), Range.create("-", "+"), Limit.create(0, limit))
                .thenApply(entries -> {
                    List<PrivateMessage> messages = new ArrayList<>(entries.size());
                    for (StreamMessage<String, String> entry : entries) {
                        Map<String, String> body = entry.getBody();
                        messages.add(new PrivateMessage(entryNumber(entry.getId()), body.get("f"), user,
                                Long.parseLong(body.get("s")), Long.parseLong(body.get("t")), body.get("c")));
                    }
                    return messages;
                });
    }

    @Override
    public void delivered(String user, List<PrivateMessage> messages) {
        String[] ids = new String[messages.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = messages.get(i).id() + "-0";
        }
        redis.xdel(Keys.inbox(prefix, user), ids).exceptionally(error -> {
            log.warn("could not remove {} delivered messages of {} from its inbox: {}", ids.length, user,
                    error.toString());
            return 0L;
        });
    }

    @Override
    public void storeAgain(PrivateMessage m) {
        scripts.integer(Scripts.STORE_AGAIN, prefix, m.to(), m.from(), Long.toString(m.seq()),
                Long.toString(m.ts()), m.content(), Integer.toString(offlineMax), Long.toString(offlineTtlMillis))
                .exceptionally(error -> {
                    log.warn("lost a private message to {}: its recipient left, and Redis refused it: {}", m.to(),
                            error.toString());
                    return 0L;
                });
    }

    @Override
    public CompletionStage<Sent> sendPrivate(String from, String to, String content, SendId id) {
        return scripts.multi(Scripts.PRIVATE_SEND, prefix, from, to, content,
                id == null ? "" : id.clientId(), id == null ? "" : Long.toString(id.digest()),
                Integer.toString(offlineMax), Long.toString(offlineTtlMillis), Long.toString(dedupMillis),
                MessageStore.conversationKey(from, to)).thenApply(RedisCluster::sent);
    }

    @Override
    public CompletionStage<Boolean> read(String reader, String with, long seq, String originConnection) {
        return scripts.integer(Scripts.READ, prefix, reader, with, Long.toString(seq), nodeId,
                originConnection == null ? "" : originConnection, MessageStore.conversationKey(reader, with))
                .thenApply(published -> published == 1);
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (scripts != null && answering()) {
            try {
                scripts.integer(Scripts.LEAVE_NODE, prefix, nodeId).toCompletableFuture()
                        .get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.warn("node {} could not leave the cluster cleanly ({}); its heartbeat expires in {} s",
                        nodeId, e.toString(), ALIVE.toSeconds());
            }
        }
        if (client != null) { // closes its connections
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (resources != null) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /** Where the cluster is, without credentials: for logs. */
    @Override
    public String toString() {
        return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
    }
}
