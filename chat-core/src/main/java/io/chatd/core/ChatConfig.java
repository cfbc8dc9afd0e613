package io.chatd.core;

import io.chatd.core.cluster.Cluster;
import io.chatd.core.store.MemoryMessageStore;
import io.chatd.core.store.MessageStore;
import io.chatd.core.store.Retention;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Immutable configuration of a {@link Chat} instance. Build one with {@link #newBuilder()}; every setter
 * documents its default. Values are validated in the constructor, so an instance that exists is usable.
 *
 * <pre>{@code
 * ChatConfig config = ChatConfig.newBuilder()
 *         .websocketPath("/chat")
 *         .defaultRoom("")              // no automatic room
 *         .maxContentChars(1000)
 *         .build();
 * }</pre>
 */
public final class ChatConfig {

    static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofMillis(10);

    /** Handshakes per second a graceful close spreads its clients' reconnects to unless configured; the daemon's too. */
    public static final int DEFAULT_RECONNECT_RATE = 500;

    static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final String websocketPath;
    private final String defaultRoom;
    private final Duration pingInterval;
    private final Duration idleTimeout;
    private final Duration handshakeTimeout;
    private final int maxFrameBytes;
    /** Rooms one connection may be in unless configured; the daemon's default too. */
    public static final int DEFAULT_MAX_ROOMS_PER_CONNECTION = 100;

    private final int maxContentChars;
    private final int maxOutboundBytes;
    private final int maxHttpRequestBytes;
    private final Duration flushInterval;
    private final OriginPolicy originPolicy;
    private final IdentityResolver identityResolver;
    private final boolean serveWebClient;
    // Abuse resistance (docs/security.md); 0 means no limit.
    private final double rateLimit;
    private final int rateBurst;
    private final double historyRate;
    private final int maxConnections;
    private final int maxConnectionsPerIp;
    private final int maxRoomsPerConnection;
    private final int maxRoomMembers;
    private final TrustedProxies trustedProxies;
    // ---- storage (issue 5) ----
    private final Supplier<? extends MessageStore> store;
    /** Null: a single node. */
    private final Supplier<? extends Cluster> cluster;
    private final int historySize;
    private final Duration historyTtl;
    private final int offlineMaxPerUser;
    private final Duration offlineTtl;
    private final int offlineMaxPerSender;
    private final int offlineMaxTotal;
    private final Duration pruneInterval;
    // ---- presence (issue 11) ----
    private final int presenceNoticesMax;
    private final int presenceNamesMax;
    private final Duration presenceInterval;
    private final Duration dedupWindow;
    private final int dedupMaxIds;
    // ---- reconnects after a graceful close (issue 11) ----
    private final int reconnectRate;

    private ChatConfig(Builder b) {
        websocketPath = Objects.requireNonNull(b.websocketPath, "websocketPath");
        if (!websocketPath.startsWith("/") || websocketPath.contains("?")) {
            throw new IllegalArgumentException("websocketPath must start with '/' and have no query: " + websocketPath);
        }
        defaultRoom = b.defaultRoom == null ? "" : b.defaultRoom;
        if (!defaultRoom.isEmpty() && !NAME_PATTERN.matcher(defaultRoom).matches()) {
            throw new IllegalArgumentException("defaultRoom must be empty or match " + NAME_PATTERN + ": " + defaultRoom);
        }
        pingInterval = positive(b.pingInterval, "pingInterval");
        idleTimeout = positive(b.idleTimeout, "idleTimeout");
        // A healthy client answers every ping, so it can only be called idle once a ping went unanswered.
        if (pingInterval.compareTo(idleTimeout) >= 0) {
            throw new IllegalArgumentException(
                    "pingInterval (" + pingInterval + ") must be shorter than idleTimeout (" + idleTimeout + ")");
        }
        handshakeTimeout = positive(b.handshakeTimeout, "handshakeTimeout");
        maxFrameBytes = atLeast(b.maxFrameBytes, 128, "maxFrameBytes");
        maxContentChars = atLeast(b.maxContentChars, 1, "maxContentChars");
        maxOutboundBytes = atLeast(b.maxOutboundBytes, 1024, "maxOutboundBytes");
        maxHttpRequestBytes = atLeast(b.maxHttpRequestBytes, 1024, "maxHttpRequestBytes");
        flushInterval = Objects.requireNonNull(b.flushInterval, "flushInterval");
        if (flushInterval.isNegative() || flushInterval.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("flushInterval must be between 0 and 1 s: " + flushInterval);
        }
        originPolicy = Objects.requireNonNull(b.originPolicy, "originPolicy");
        identityResolver = Objects.requireNonNull(b.identityResolver, "identityResolver");
        serveWebClient = b.serveWebClient;
        if (!(b.rateLimit >= 0) || Double.isInfinite(b.rateLimit)) {
            throw new IllegalArgumentException("rateLimit must be 0 (off) or a positive number: " + b.rateLimit);
        }
        rateLimit = b.rateLimit;
        rateBurst = b.rateBurst > 0 ? b.rateBurst : Math.max(1, (int) Math.ceil(rateLimit * 2));
        if (!(b.historyRate >= 0) || Double.isInfinite(b.historyRate)) {
            throw new IllegalArgumentException("historyRate must be 0 (off) or a positive number: " + b.historyRate);
        }
        historyRate = b.historyRate;
        maxConnections = atLeast(b.maxConnections, 0, "maxConnections");
        maxConnectionsPerIp = atLeast(b.maxConnectionsPerIp, 0, "maxConnectionsPerIp");
        maxRoomsPerConnection = atLeast(b.maxRoomsPerConnection, 0, "maxRoomsPerConnection");
        maxRoomMembers = atLeast(b.maxRoomMembers, 0, "maxRoomMembers");
        trustedProxies = Objects.requireNonNull(b.trustedProxies, "trustedProxies");
        store = Objects.requireNonNull(b.store, "store");
        cluster = b.cluster;
        historySize = atLeast(b.historySize, 1, "historySize");
        historyTtl = positive(b.historyTtl, "historyTtl");
        offlineMaxPerUser = atLeast(b.offlineMaxPerUser, 0, "offlineMaxPerUser");
        offlineTtl = positive(b.offlineTtl, "offlineTtl");
        offlineMaxPerSender = atLeast(b.offlineMaxPerSender, 1, "offlineMaxPerSender");
        offlineMaxTotal = atLeast(b.offlineMaxTotal, 1, "offlineMaxTotal");
        pruneInterval = positive(b.pruneInterval, "pruneInterval");
        presenceNoticesMax = atLeast(b.presenceNoticesMax, 0, "presenceNoticesMax");
        presenceNamesMax = atLeast(b.presenceNamesMax, 0, "presenceNamesMax");
        presenceInterval = positive(b.presenceInterval, "presenceInterval");
        dedupWindow = positive(b.dedupWindow, "dedupWindow");
        dedupMaxIds = atLeast(b.dedupMaxIds, 1, "dedupMaxIds");
        reconnectRate = atLeast(b.reconnectRate, 1, "reconnectRate");
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }

    private static int atLeast(int value, int min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
        }
        return value;
    }

    /** A builder with every default. */
    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The only HTTP path that upgrades to WebSocket. */
    public String websocketPath() {
        return websocketPath;
    }

    /** The room every connection joins on connect, or the empty string for none. */
    public String defaultRoom() {
        return defaultRoom;
    }

    /** Silence from a client after which the server sends a protocol ping. */
    public Duration pingInterval() {
        return pingInterval;
    }

    /** Silence from a client after which the server closes the connection. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Time from accept until the WebSocket upgrade; a connection still plain HTTP then is closed. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** Largest inbound WebSocket message, in bytes; larger closes with 1009. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /**
     * Longest {@code content} of a message, in Unicode code points (an emoji is one, not two UTF-16 chars);
     * longer gets error {@code too_long}.
     */
    public int maxContentChars() {
        return maxContentChars;
    }

    /** Unsent outbound bytes above which a connection is closed as a slow consumer. */
    public int maxOutboundBytes() {
        return maxOutboundBytes;
    }

    /** Largest HTTP request (headers and body) accepted before the upgrade. */
    public int maxHttpRequestBytes() {
        return maxHttpRequestBytes;
    }

    /** Which browser origins may open a WebSocket. */
    public OriginPolicy originPolicy() {
        return originPolicy;
    }

    /** Turns a handshake request into a user id. */
    public IdentityResolver identityResolver() {
        return identityResolver;
    }

    /**
     * Shortest time between two flushes of an event loop's sockets. Frames written in between leave together,
     * in one syscall per socket; a quiet loop flushes at once. Zero flushes at the end of every loop turn.
     */
    public Duration flushInterval() {
        return flushInterval;
    }

    /** Whether {@code GET /} serves the built-in browser client. */
    public boolean serveWebClient() {
        return serveWebClient;
    }

    /** Requests per second each connection may send on average; 0 for no limit. */
    public double rateLimit() {
        return rateLimit;
    }

    /**
     * {@code history} requests per second per connection (bursts of four times as many); more get error
     * {@code rate_limited}. On by default: each one reads the store on the thread every sender's ack waits
     * for. 0 turns it off.
     */
    public double historyRate() {
        return historyRate;
    }

    /** Requests a connection may send at once before {@link #rateLimit()} applies. */
    public int rateBurst() {
        return rateBurst;
    }

    /** Open WebSockets the server accepts; more get HTTP 503 before the upgrade. 0 for no limit. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Open WebSockets per client IP address; more get HTTP 429 before the upgrade. 0 for no limit. */
    public int maxConnectionsPerIp() {
        return maxConnectionsPerIp;
    }

    /** Rooms one connection may be in; more get error {@code too_many_rooms}. 0 for no limit. */
    public int maxRoomsPerConnection() {
        return maxRoomsPerConnection;
    }

    /** Connections one room may hold; more get error {@code room_full}. 0 for no limit. */
    public int maxRoomMembers() {
        return maxRoomMembers;
    }

    /** Proxies whose {@code X-Forwarded-For} gives the client address. */
    public TrustedProxies trustedProxies() {
        return trustedProxies;
    }

    /** Makes the store each {@link Chat} opens when created, and closes in {@link Chat#close()}. */
    public Supplier<? extends MessageStore> store() {
        return store;
    }

    /**
     * Makes the cluster each {@link Chat} joins when created, and leaves in {@link Chat#close()}; null for a
     * single node, which numbers and stores on its own {@link #store()}.
     */
    public Supplier<? extends Cluster> cluster() {
        return cluster;
    }

    /** Room messages kept per room, and the most a resume replays. */
    public int historySize() {
        return historySize;
    }

    /** Age after which room messages leave the history. */
    public Duration historyTtl() {
        return historyTtl;
    }

    /** Private messages kept per offline recipient (the oldest go first); 0 refuses them with user_offline. */
    public int offlineMaxPerUser() {
        return offlineMaxPerUser;
    }

    /** Age after which undelivered private messages are dropped. */
    public Duration offlineTtl() {
        return offlineTtl;
    }

    /**
     * Most stored private messages one sender may have waiting for offline recipients, all recipients together;
     * past it a {@code private} to an offline user gets {@code offline_full} until some are delivered or expire.
     * Without it one client could fill the store with messages to names no one will ever connect as.
     */
    public int offlineMaxPerSender() {
        return offlineMaxPerSender;
    }

    /** Most stored private messages waiting for offline recipients, all senders together (then offline_full). */
    public int offlineMaxTotal() {
        return offlineMaxTotal;
    }

    /**
     * How often the store drops what the retention no longer covers, and forgets the numbering of rooms and
     * conversations that fell silent (see {@link io.chatd.core.store.MessageStore#prune}).
     */
    public Duration pruneInterval() {
        return pruneInterval;
    }

    /**
     * Rooms of up to this many users send a {@code join} or {@code leave} notice to every member per change;
     * larger rooms gather changes into one {@code presence} frame per {@link #presenceInterval()}, which keeps a
     * reconnect storm linear instead of quadratic in the room's size.
     */
    public int presenceNoticesMax() {
        return presenceNoticesMax;
    }

    /** Rooms of up to this many users name who joined and left in their {@code presence} frames; larger ones
     * send only the user count. */
    public int presenceNamesMax() {
        return presenceNamesMax;
    }

    /** How often a room past {@link #presenceNoticesMax()} users announces its gathered presence changes. */
    public Duration presenceInterval() {
        return presenceInterval;
    }

    /** How long a client id is remembered, so that resending it returns the original ack. */
    public Duration dedupWindow() {
        return dedupWindow;
    }

    /**
     * Most client ids remembered at once across all users (about 300 bytes each). A resend is recognized within
     * {@link #dedupWindow()} only while fewer than this many newer ids (and fewer than 1000 newer ids of the same
     * user) were sent: at a sustained server-wide rate R msg/s, the window really holds for min(window, this / R).
     */
    public int dedupMaxIds() {
        return dedupMaxIds;
    }

    /**
     * Handshakes per second that the clients of a graceful close ({@link Chat#closeAll()}, or a cluster that lost
     * its data) are asked to spread their reconnects to: before its close each connection gets a {@code reconnect}
     * frame with a window of (open connections / this rate) seconds, at least 0.5 s and at most 60 s, and the
     * web client waits a random moment of that window. A fresh JVM on one core takes 700 to 1500 handshakes a
     * second while its JIT warms up; all at once, 10,000 clients queue for seconds (docs/protocol.md).
     */
    public int reconnectRate() {
        return reconnectRate;
    }

    /** The store retention these settings describe. */
    public Retention retention() {
        return new Retention(historySize, historyTtl, offlineMaxPerUser, offlineTtl, dedupWindow);
    }

    @Override
    public String toString() {
        return "ChatConfig{websocketPath=" + websocketPath + ", defaultRoom=" + defaultRoom
                + ", pingInterval=" + pingInterval + ", idleTimeout=" + idleTimeout
                + ", handshakeTimeout=" + handshakeTimeout + ", maxFrameBytes=" + maxFrameBytes
                + ", maxContentChars=" + maxContentChars + ", maxOutboundBytes=" + maxOutboundBytes
                + ", maxHttpRequestBytes=" + maxHttpRequestBytes + ", flushInterval=" + flushInterval
                + ", originPolicy=" + originPolicy
                + ", serveWebClient=" + serveWebClient + ", rateLimit=" + rateLimit + ", rateBurst=" + rateBurst
                + ", maxConnections=" + maxConnections + ", maxConnectionsPerIp=" + maxConnectionsPerIp
                + ", maxRoomsPerConnection=" + maxRoomsPerConnection + ", maxRoomMembers=" + maxRoomMembers
                + ", trustedProxies=" + trustedProxies + ", historySize=" + historySize + ", historyTtl=" + historyTtl
                + ", offlineMaxPerUser=" + offlineMaxPerUser + ", offlineTtl=" + offlineTtl
                + ", offlineMaxPerSender=" + offlineMaxPerSender + ", offlineMaxTotal=" + offlineMaxTotal
                + ", pruneInterval=" + pruneInterval + ", presenceNoticesMax=" + presenceNoticesMax
                + ", presenceNamesMax=" + presenceNamesMax + ", presenceInterval=" + presenceInterval
                + ", dedupWindow=" + dedupWindow + ", dedupMaxIds=" + dedupMaxIds
                + ", reconnectRate=" + reconnectRate + '}';
    }

    /** Mutable builder of {@link ChatConfig}. */
    public static final class Builder {
        private String websocketPath = "/ws";
        private String defaultRoom = "lobby";
        private Duration pingInterval = Duration.ofSeconds(25);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private int maxFrameBytes = 64 * 1024;
        private int maxContentChars = 4096;
        private int maxOutboundBytes = 1024 * 1024;
        private int maxHttpRequestBytes = 16 * 1024;
        private Duration flushInterval = DEFAULT_FLUSH_INTERVAL;
        private OriginPolicy originPolicy = OriginPolicy.sameHost();
        private IdentityResolver identityResolver = new QueryParameterIdentityResolver();
        private boolean serveWebClient = true;
        private double rateLimit;
        private int rateBurst;
        private int maxConnections;
        private int maxConnectionsPerIp;
        private int maxRoomsPerConnection = DEFAULT_MAX_ROOMS_PER_CONNECTION;
        private double historyRate = 5;
        private int maxRoomMembers;
        private TrustedProxies trustedProxies = TrustedProxies.none();
        private Supplier<? extends MessageStore> store = MemoryMessageStore::new;
        private Supplier<? extends Cluster> cluster;
        private int historySize = 1000;
        private Duration historyTtl = Duration.ofHours(24);
        private int offlineMaxPerUser = 1000;
        private Duration offlineTtl = Duration.ofDays(7);
        private int offlineMaxPerSender = 1000;
        private int offlineMaxTotal = 1_000_000;
        private Duration pruneInterval = Duration.ofMinutes(1);
        private int presenceNoticesMax = 100;
        private int presenceNamesMax = 1000;
        private Duration presenceInterval = Duration.ofSeconds(1);
        private Duration dedupWindow = Duration.ofMinutes(10);
        private int dedupMaxIds = RecentIds.DEFAULT_MAX_IDS;
        private int reconnectRate = DEFAULT_RECONNECT_RATE;

        private Builder() {
        }

        private Builder(ChatConfig c) {
            websocketPath = c.websocketPath;
            defaultRoom = c.defaultRoom;
            pingInterval = c.pingInterval;
            idleTimeout = c.idleTimeout;
            handshakeTimeout = c.handshakeTimeout;
            maxFrameBytes = c.maxFrameBytes;
            maxContentChars = c.maxContentChars;
            maxOutboundBytes = c.maxOutboundBytes;
            maxHttpRequestBytes = c.maxHttpRequestBytes;
            flushInterval = c.flushInterval;
            originPolicy = c.originPolicy;
            identityResolver = c.identityResolver;
            serveWebClient = c.serveWebClient;
            rateLimit = c.rateLimit;
            rateBurst = c.rateBurst;
            maxConnections = c.maxConnections;
            maxConnectionsPerIp = c.maxConnectionsPerIp;
            maxRoomsPerConnection = c.maxRoomsPerConnection;
            historyRate = c.historyRate;
            maxRoomMembers = c.maxRoomMembers;
            trustedProxies = c.trustedProxies;
            store = c.store;
            cluster = c.cluster;
            historySize = c.historySize;
            historyTtl = c.historyTtl;
            offlineMaxPerUser = c.offlineMaxPerUser;
            offlineTtl = c.offlineTtl;
            offlineMaxPerSender = c.offlineMaxPerSender;
            offlineMaxTotal = c.offlineMaxTotal;
            pruneInterval = c.pruneInterval;
            presenceNoticesMax = c.presenceNoticesMax;
            presenceNamesMax = c.presenceNamesMax;
            presenceInterval = c.presenceInterval;
            dedupWindow = c.dedupWindow;
            dedupMaxIds = c.dedupMaxIds;
            reconnectRate = c.reconnectRate;
        }

        /** Default {@code /ws}. */
        public Builder websocketPath(String websocketPath) {
            this.websocketPath = websocketPath;
            return this;
        }

        /** Default {@code lobby}; empty for none. */
        public Builder defaultRoom(String defaultRoom) {
            this.defaultRoom = defaultRoom;
            return this;
        }

        /** Default 25 s; must be shorter than the idle timeout. */
        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
            return this;
        }

        /** Default 60 s. */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** Default 10 s. */
        public Builder handshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = handshakeTimeout;
            return this;
        }

        /** Default 64 KiB. */
        public Builder maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = maxFrameBytes;
            return this;
        }

        /** Default 4096. */
        public Builder maxContentChars(int maxContentChars) {
            this.maxContentChars = maxContentChars;
            return this;
        }

        /** Default 1 MiB. */
        public Builder maxOutboundBytes(int maxOutboundBytes) {
            this.maxOutboundBytes = maxOutboundBytes;
            return this;
        }

        /** Default 16 KiB. */
        public Builder maxHttpRequestBytes(int maxHttpRequestBytes) {
            this.maxHttpRequestBytes = maxHttpRequestBytes;
            return this;
        }

        /** Default 10 ms; zero flushes at the end of every event-loop turn. At most 1 s. */
        public Builder flushInterval(Duration flushInterval) {
            this.flushInterval = flushInterval;
            return this;
        }

        /** Default {@link OriginPolicy#sameHost()}. */
        public Builder originPolicy(OriginPolicy originPolicy) {
            this.originPolicy = originPolicy;
            return this;
        }

        /** Default {@link QueryParameterIdentityResolver} ({@code ?user=NAME}). */
        public Builder identityResolver(IdentityResolver identityResolver) {
            this.identityResolver = identityResolver;
            return this;
        }

        /** Default {@code true}. */
        public Builder serveWebClient(boolean serveWebClient) {
            this.serveWebClient = serveWebClient;
            return this;
        }

        /**
         * Default 0: no limit. Requests (text frames) per second per connection, with bursts of {@code burst}
         * (0: twice the rate); over it a request gets error {@code rate_limited}, and a connection that keeps going
         * is closed with {@link CloseCodes#FLOODING}. Protocol pings and pongs are not counted.
         */
        public Builder rateLimit(double perSecond, int burst) {
            this.rateLimit = perSecond;
            this.rateBurst = burst;
            return this;
        }

        /** Default 0: no limit. */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        /** Default 0: no limit. Addresses come from {@link #trustedProxies} when set. */
        public Builder maxConnectionsPerIp(int maxConnectionsPerIp) {
            this.maxConnectionsPerIp = maxConnectionsPerIp;
            return this;
        }

        /** Default 5 per second; 0: no limit. See {@link ChatConfig#historyRate()}. */
        public Builder historyRate(double historyRate) {
            this.historyRate = historyRate;
            return this;
        }

        /** Default 100; 0: no limit. */
        public Builder maxRoomsPerConnection(int maxRoomsPerConnection) {
            this.maxRoomsPerConnection = maxRoomsPerConnection;
            return this;
        }

        /** Default 0: no limit. */
        public Builder maxRoomMembers(int maxRoomMembers) {
            this.maxRoomMembers = maxRoomMembers;
            return this;
        }

        /** Default {@link TrustedProxies#none()}: {@code X-Forwarded-For} is ignored. */
        public Builder trustedProxies(TrustedProxies trustedProxies) {
            this.trustedProxies = trustedProxies;
            return this;
        }

        /**
         * Default {@link MemoryMessageStore}: history and offline messages in the heap, gone on restart. The
         * supplier is called once per {@link Chat}, so two instances never share a store.
         */
        public Builder store(Supplier<? extends MessageStore> store) {
            this.store = store;
            return this;
        }

        /**
         * Default none: a single node. With a cluster (such as chat-redis's), rooms, history, presence, private
         * routing and offline messages live in the cluster, shared with every other node, and {@link #store}
         * is not used. The supplier is called once per {@link Chat}.
         */
        public Builder cluster(Supplier<? extends Cluster> cluster) {
            this.cluster = cluster;
            return this;
        }

        /** Default 1000 messages per room. */
        public Builder historySize(int historySize) {
            this.historySize = historySize;
            return this;
        }

        /** Default 24 h. */
        public Builder historyTtl(Duration historyTtl) {
            this.historyTtl = historyTtl;
            return this;
        }

        /** Default 1000; 0 turns offline storage off. */
        public Builder offlineMaxPerUser(int offlineMaxPerUser) {
            this.offlineMaxPerUser = offlineMaxPerUser;
            return this;
        }

        /** Default 7 days. */
        public Builder offlineTtl(Duration offlineTtl) {
            this.offlineTtl = offlineTtl;
            return this;
        }

        /** Default 1000 messages per sender; see {@link ChatConfig#offlineMaxPerSender()}. */
        public Builder offlineMaxPerSender(int offlineMaxPerSender) {
            this.offlineMaxPerSender = offlineMaxPerSender;
            return this;
        }

        /** Default 1,000,000 messages. */
        public Builder offlineMaxTotal(int offlineMaxTotal) {
            this.offlineMaxTotal = offlineMaxTotal;
            return this;
        }

        /** Default 1 min. */
        public Builder pruneInterval(Duration pruneInterval) {
            this.pruneInterval = pruneInterval;
            return this;
        }

        /** Default 100 users; see {@link ChatConfig#presenceNoticesMax()}. */
        public Builder presenceNoticesMax(int presenceNoticesMax) {
            this.presenceNoticesMax = presenceNoticesMax;
            return this;
        }

        /** Default 1000 users; see {@link ChatConfig#presenceNamesMax()}. */
        public Builder presenceNamesMax(int presenceNamesMax) {
            this.presenceNamesMax = presenceNamesMax;
            return this;
        }

        /** Default 1 s. */
        public Builder presenceInterval(Duration presenceInterval) {
            this.presenceInterval = presenceInterval;
            return this;
        }

        /** Default 10 min. */
        public Builder dedupWindow(Duration dedupWindow) {
            this.dedupWindow = dedupWindow;
            return this;
        }

        /** Default 200,000: about 60 MB at most; see {@link ChatConfig#dedupMaxIds()}. */
        public Builder dedupMaxIds(int dedupMaxIds) {
            this.dedupMaxIds = dedupMaxIds;
            return this;
        }

        /** Default 500 handshakes per second, at least 1; see {@link ChatConfig#reconnectRate()}. */
        public Builder reconnectRate(int reconnectRate) {
            this.reconnectRate = reconnectRate;
            return this;
        }

        public ChatConfig build() {
            return new ChatConfig(this);
        }
    }
}
