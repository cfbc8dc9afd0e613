package io.chatd.core;

import io.chatd.core.auth.BearerTokens;
import io.chatd.core.cluster.Cluster;
import io.chatd.core.store.StoreState;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * A chat service: its rooms, its users and the Netty handlers that serve them. Each instance is independent;
 * two instances in one JVM share nothing.
 *
 * <p>A dedicated server uses {@link #newChannelInitializer()} as its child handler. An application that already
 * runs Netty adds chat to its own HTTP pipeline, after its {@link HttpServerCodec} and
 * {@link HttpObjectAggregator}, and passes on the requests it does not serve:
 *
 * <pre>{@code
 * Chat chat = Chat.create(ChatConfig.newBuilder().serveWebClient(false).build());
 * bootstrap.childHandler(new ChannelInitializer<SocketChannel>() {
 *     protected void initChannel(SocketChannel ch) {
 *         ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new MyRoutes());
 *         chat.addTo(ch.pipeline());         // MyRoutes calls ctx.fireChannelRead(request) for /ws
 *     }
 * });
 * chat.broadcast("lobby", "system", "deploy finished");  // publish from application code
 * chat.sendPrivate("system", "alice", "your export is ready");
 * }</pre>
 *
 * <p>Threading: every callback of a connection runs on its channel's event loop; each room is owned by one event
 * loop, where its messages are numbered and written. The public methods are safe to call from any thread.
 */
public final class Chat implements AutoCloseable {

    private final ChatConfig config;
    private final ChatStats stats = new ChatStats();
    private final EventLoops loops = new EventLoops();
    private final UserRegistry users = new UserRegistry();
    /** The store thread; every read and write of the store goes through it. */
    private final Persister persister;
    private final RoomRegistry rooms;
    private final Privates privates;
    private final RecentIds recentIds;
    /** The numbering's epoch, sent in {@code welcome} and {@code resume}; see docs/protocol.md. */
    /** Request line up to 4 KB, headers up to 8 KB; immutable, so shared by every connection's codec. */
    private static final HttpDecoderConfig HTTP_DECODER_CONFIG = new HttpDecoderConfig()
            .setMaxInitialLineLength(4096).setMaxHeaderSize(8192).setMaxChunkSize(8192);
    /** Name of Netty's protocol handler in the pipeline: ProtocolErrorHandler puts an aggregator after it. */
    private static final String PROTOCOL_HANDLER = "websocket";
    private volatile String epoch;
    /** Null on a single node. */
    private final Cluster cluster;
    /** Every open WebSocket, for the connection count and shutdown. */
    private final ChannelGroup connections = new DefaultChannelGroup("chat-connections", ImmediateEventExecutor.INSTANCE);
    private final ChatHttpHandler httpHandler;
    /** Immutable, so one serves every connection: building it per handshake was a measurable share of the garbage. */
    private final WebSocketServerProtocolConfig protocolConfig;
    /** Stateless, so one serves every connection. */
    private final ProtocolErrorHandler protocolErrors;
    private final ConnectionLimiter connectionLimiter;
    /** Immutable, so one serves every connection. */
    private final WriteBufferWaterMark writeBufferWaterMark;
    private final RoomOccupancy roomOccupancy;
    private final ConcurrentHashMap<EventLoop, LoopFlusher> flushers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<EventLoop, Heartbeats> heartbeats = new ConcurrentHashMap<>();
    /** Set at the first moment of a graceful shutdown; readiness answers 503 from then on. */
    private volatile boolean draining;

    private Chat(ChatConfig config) {
        this.config = config;
        this.connectionLimiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerIp());
        this.roomOccupancy = new RoomOccupancy(config.maxRoomMembers());
        this.persister = new Persister(Objects.requireNonNull(config.store().get(), "store"), config.retention(),
                config.pruneInterval(), "chat-store", stats);
        stats.storeQueue = persister::queued;
        String stored = persister.initialState().epoch();
        // A store that cannot vouch for its numbering across restarts (memory) gets a new epoch every start.
        this.epoch = stored != null ? stored : StoreState.newEpoch();
        this.cluster = config.cluster() == null ? null : Objects.requireNonNull(config.cluster().get(), "cluster");
        ClusterRooms clusterRooms = cluster == null ? null
                : new ClusterRooms(cluster, users, stats, config.historySize());
        // What one answer (a history page, a replay, a page of stored messages) may queue on a connection at once:
        // a quarter of the outbound cap, so that the server's own backlog never trips the slow-consumer close.
        int answerBytes = Math.max(1, config.maxOutboundBytes() / 4);
        this.rooms = new RoomRegistry(loops, stats, persister, config.historySize(), answerBytes, epoch,
                new Presence(config.presenceNoticesMax(), config.presenceNamesMax(),
                        config.presenceInterval().toNanos(), stats), clusterRooms);
        this.privates = new Privates(users, persister, stats, config, answerBytes, cluster);
        // What the store forgot at a prune, chat-core forgets too: names nobody uses any more cost nothing.
        persister.afterPrune(store -> {
            long now = System.currentTimeMillis();
            rooms.forgetSilent(now - config.historyTtl().toMillis());
            privates.pruned(now - config.offlineTtl().toMillis(), store.undeliveredBySender(),
                    store.undeliveredRecipients());
        });
        this.recentIds = new RecentIds(config.dedupWindow(), config.dedupMaxIds(), RecentIds.DEFAULT_MAX_IDS_PER_USER,
                persister.initialState().recentIds());
        this.protocolConfig = protocolConfig(config);
        this.protocolErrors = new ProtocolErrorHandler(config.maxFrameBytes(), PROTOCOL_HANDLER);
        this.httpHandler = new ChatHttpHandler(config, this,
                // Echoed when offered; browsers carrying a token offer it next to "bearer.TOKEN" (BearerTokens).
                new WebSocketUpgrade(BearerTokens.SUBPROTOCOL, protocolConfig.decoderConfig()));
        this.writeBufferWaterMark = new WriteBufferWaterMark(config.maxOutboundBytes() / 2, config.maxOutboundBytes());
        if (cluster != null) {
            try {
                this.epoch = cluster.start(config, new ClusterLink(this, clusterRooms));
            } catch (RuntimeException e) {
                cluster.close();
                persister.close();
                throw e;
            }
            rooms.epoch(epoch);
        }
    }

    /**
     * A new chat service over the store of {@link ChatConfig#store()}, opened here: numbering, history and
     * offline messages continue where that store left them. Call {@link #close()} when done with it.
     *
     * @throws io.chatd.core.store.StoreException when the store cannot be opened; its message is one line
     */
    public static Chat create(ChatConfig config) {
        return new Chat(Objects.requireNonNull(config, "config"));
    }

    /**
     * Commits what is still queued for the store and closes it; call after the event loops stopped (or
     * {@link #closeAll()} completed), so no new message arrives. Waits up to 10 s.
     */
    @Override
    public void close() {
        if (cluster != null) {
            cluster.close();
        }
        persister.close();
    }

    public ChatConfig config() {
        return config;
    }

    public ChatStats stats() {
        return stats;
    }

    /** The open WebSocket channels; for tests that look at a connection's server side. */
    ChannelGroup channels() {
        return connections;
    }

    /** Open WebSocket connections. */
    public int connectionCount() {
        return connections.size();
    }

    /** Users with at least one open connection. */
    public int userCount() {
        return users.userCount();
    }

    /**
     * Marks this chat as draining, the first step of a graceful shutdown: {@code /readyz} answers 503 from now
     * on, so a load balancer stops sending new clients, while everything else keeps serving until
     * {@link #closeAll()}.
     */
    public void startDraining() {
        draining = true;
    }

    /** What {@code /readyz} reports: the store answers (its thread runs, its last commit succeeded) and not draining. */
    public boolean isReady() {
        return !draining && persister.answering() && (cluster == null || cluster.answering());
    }

    /** The cluster this chat is a node of, or null. */
    public Cluster cluster() {
        return cluster;
    }

    /**
     * The cluster lost its data, and its numbering restarted: every client is closed with 1012 (service restart),
     * reconnects, and learns the new epoch from its welcome, so that it resumes with {@code recovered:false}
     * instead of trusting seqs that now name other messages.
     */
    void clusterDataLost(String newEpoch) {
        epoch = newEpoch;
        rooms.epoch(newEpoch);
        // Every node sends its clients away at once: spread over the window, they reach the cluster at this
        // node's rate per node.
        ReconnectAdvice.sendAway(connections, config.reconnectRate(), CloseCodes.SERVICE_RESTART,
                "the cluster restarted; reconnect", false);
    }

    /** Rooms with at least one member. */
    public int roomCount() {
        return rooms.roomCount();
    }

    /**
     * The whole pipeline of a dedicated chat server: HTTP codec, aggregator, then {@link #addTo}. Use it as the
     * child handler of a {@code ServerBootstrap}.
     */
    public ChannelInitializer<Channel> newChannelInitializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ChannelPipeline p = ch.pipeline();
                p.addLast("http-codec", new HttpServerCodec(HTTP_DECODER_CONFIG));
                p.addLast("http-aggregator", new HttpObjectAggregator(config.maxHttpRequestBytes()));
                addTo(p);
            }
        };
    }

    /**
     * Appends the chat handlers to a pipeline that already decodes and aggregates HTTP: the handshake gate
     * ({@code GET /healthz}, the web client, origin and identity checks, then the upgrade), the WebSocket protocol
     * handler, the deadline of plain HTTP connections ({@code handshakeTimeout}) and the JSON frame handler (which
     * also runs heartbeats and the slow-consumer guard once upgraded). Requests for other paths get 404, so put
     * your own routes before these handlers.
     */
    public void addTo(ChannelPipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        Channel ch = pipeline.channel();
        // Netty stops reporting the channel writable past the high mark: that is our slow-consumer signal.
        ch.config().setWriteBufferWaterMark(writeBufferWaterMark);
        pipeline.addLast("chat-http", httpHandler);
        pipeline.addLast(PROTOCOL_HANDLER, new WebSocketServerProtocolHandler(protocolConfig));
        // The gate upgrades (WebSocketUpgrade): the handshake handler Netty adds with it would never run.
        pipeline.remove(WebSocketUpgrade.NETTY_HANDSHAKE_HANDLER);
        // Between the decoder and the protocol handler (which adds no UTF-8 validator: see protocolConfig).
        pipeline.addBefore(PROTOCOL_HANDLER, "protocol-errors", protocolErrors);
        pipeline.addLast("handshake-deadline", new HandshakeDeadline(config));
        pipeline.addLast("chat-frames", new ChatFrameHandler(this));
    }

    private static WebSocketServerProtocolConfig protocolConfig(ChatConfig config) {
        // The path, subprotocols and handshake timeout are left out: they configure Netty's handshake, and the
        // gate upgrades instead (WebSocketUpgrade). What is left governs the open connection.
        return WebSocketServerProtocolConfig.newBuilder()
                // Pongs must reach ChatFrameHandler: they are how a silent client proves it is alive (Heartbeats).
                .dropPongFrames(false)
                // null: ProtocolErrorHandler sends the close frame of a violation, and closing must not add a
                // second "1000 Bye" one.
                .sendCloseFrame(null)
                .forceCloseTimeoutMillis(2000)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(config.maxFrameBytes())
                        .allowExtensions(false)
                        .allowMaskMismatch(false)
                        .expectMaskedFrames(true)
                        // ProtocolErrorHandler closes instead, lingering so the close frame survives.
                        .closeOnProtocolViolation(false)
                        // ChatFrameHandler checks each whole text message: a validator of its own in every
                        // pipeline would cost each idle connection 88 bytes.
                        .withUTF8Validator(false)
                        .build())
                .build();
    }

    /**
     * Publishes a room message from application code, to every member of the room, and stores it in the room's
     * history. Completes with the message's {@code seq} once it is stored, or with 0 when the room has no
     * members (nothing is published or stored then). With a {@link ChatConfig#cluster() cluster} it is always
     * published and stored, since the room may have members on other nodes.
     *
     * @param from the sender shown to members; any string, need not be a connected user
     */
    public CompletableFuture<Long> broadcast(String room, String from, String content) {
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(content, "content");
        CompletableFuture<Long> seq = new CompletableFuture<>();
        rooms.publish(null, room, from, content, null, null, recentIds, seq);
        return seq;
    }

    /**
     * Sends a private message from application code to every connection of {@code to}. When {@code to} has no
     * connection the message is stored and delivered on its next connect. Completes once the message (or, when
     * delivered live, its conversation seq) is stored; fails with {@link java.util.concurrent.RejectedExecutionException}
     * when {@code to} is offline and offline storage is off ({@link ChatConfig#offlineMaxPerUser()} 0) or full
     * ({@link ChatConfig#offlineMaxPerSender()} for {@code from}, {@link ChatConfig#offlineMaxTotal()}), or the store
     * is overloaded, and with the store's exception when the commit failed.
     *
     * @param from the sender shown to the recipient; any string, need not be a connected user
     */
    public CompletableFuture<PrivateReceipt> sendPrivate(String from, String to, String content) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(content, "content");
        CompletableFuture<PrivateReceipt> receipt = new CompletableFuture<>();
        Privates.Outcome outcome = privates.send(from, to, content, null, 0,
                sent -> receipt.complete(new PrivateReceipt(sent.seq(), sent.ts(), sent.stored())),
                error -> receipt.completeExceptionally(error instanceof RequestException refused
                        ? new RejectedExecutionException(refused.getMessage()) : error));
        if (outcome == Privates.Outcome.OFFLINE) {
            receipt.completeExceptionally(new RejectedExecutionException(to + " is not connected"));
        } else if (outcome == Privates.Outcome.OFFLINE_FULL) {
            receipt.completeExceptionally(new RejectedExecutionException(
                    "too many private messages are waiting for offline users"));
        } else if (outcome == Privates.Outcome.OVERLOADED) {
            receipt.completeExceptionally(new RejectedExecutionException("the store is overloaded"));
        }
        return receipt;
    }

    /**
     * Closes every connection of {@code user} with {@code code} (4000 to 4999, or 1008) and {@code reason}, as an
     * operator's disconnect. Returns how many connections it closed.
     */
    public int disconnectUser(String user, int code, String reason) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(reason, "reason");
        if (code != CloseCodes.POLICY_VIOLATION && (code < 4000 || code > 4999)) {
            throw new IllegalArgumentException("code must be 4000 to 4999 or 1008, not " + code);
        }
        int closed = 0;
        for (Connection connection : users.connections(user)) { // an immutable snapshot
            Disconnect.close(connection.channel, code, reason);
            closed++;
        }
        return closed;
    }

    /**
     * Closes every WebSocket with 1001 (going away), for shutdown, each after a {@code reconnect} frame that asks its
     * client to spread its reconnect over (open connections / {@link ChatConfig#reconnectRate()}) seconds. The
     * returned future completes when every connection has closed: when its client answered the close frame, or at
     * the latest 3 s after it was sent.
     */
    public ChannelGroupFuture closeAll() {
        // Each client answers with its own close frame, which closes its connection: closing at once, with what
        // the client just sent unread, resets it, and a browser that gets the reset first reports 1006, not 1001.
        ReconnectAdvice.sendAway(connections, config.reconnectRate(), CloseCodes.GOING_AWAY, "server shutting down",
                true);
        return connections.newCloseFuture();
    }

    // ---- called by the connection's handlers, on its event loop ----

    void opened(Connection connection) {
        loops.learnFrom(connection.channel.eventLoop());
        connections.add(connection.channel);
        users.add(connection);
        stats.connectionsOpened.increment();
        stats.handshake(ChatStats.HandshakeResult.OK);
    }

    void closed(Connection connection) {
        Integer code = connection.channel.attr(Disconnect.CLOSE_SENT).get();
        stats.disconnected(code == null ? ChatStats.DisconnectReason.CLIENT : ChatStats.DisconnectReason.ofServerCode(code));
        users.remove(connection);
        privates.disconnected(connection);
        for (String room : connection.rooms()) {
            rooms.leave(connection, room, false);
        }
        connection.leftAll();
    }

    /** The flusher of {@code loop}, which batches every flush of a turn on that loop. */
    LoopFlusher flusherFor(EventLoop loop) {
        return flushers.computeIfAbsent(loop, l -> new LoopFlusher(l, config.flushInterval().toNanos()));
    }

    /** The heartbeat sweep of {@code loop}, which pings and closes the silent connections of that loop. */
    Heartbeats heartbeatsFor(EventLoop loop) {
        return heartbeats.computeIfAbsent(loop, l -> new Heartbeats(l, config, stats));
    }

    RoomRegistry rooms() {
        return rooms;
    }

    ConnectionLimiter connectionLimiter() {
        return connectionLimiter;
    }

    RoomOccupancy roomOccupancy() {
        return roomOccupancy;
    }

    Privates privates() {
        return privates;
    }

    RecentIds recentIds() {
        return recentIds;
    }

    /** The epoch of this instance's numbering: seqs are comparable only within one epoch. */
    public String epoch() {
        return epoch;
    }
}
