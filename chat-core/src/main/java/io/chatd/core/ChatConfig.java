package io.chatd.core;

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

    static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final String websocketPath;
    private final String defaultRoom;
    private final Duration pingInterval;
    private final Duration idleTimeout;
    private final Duration handshakeTimeout;
    private final int maxFrameBytes;
    private final int maxContentChars;
    private final int maxOutboundBytes;
    private final int maxHttpRequestBytes;
    private final OriginPolicy originPolicy;
    private final IdentityResolver identityResolver;
    private final boolean serveWebClient;
    // ---- storage (issue 5) ----
    private final Supplier<? extends MessageStore> store;
    private final int historySize;
    private final Duration historyTtl;
    private final int offlineMaxPerUser;
    private final Duration offlineTtl;
    private final Duration dedupWindow;

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
        originPolicy = Objects.requireNonNull(b.originPolicy, "originPolicy");
        identityResolver = Objects.requireNonNull(b.identityResolver, "identityResolver");
        serveWebClient = b.serveWebClient;
        store = Objects.requireNonNull(b.store, "store");
        historySize = atLeast(b.historySize, 1, "historySize");
        historyTtl = positive(b.historyTtl, "historyTtl");
        offlineMaxPerUser = atLeast(b.offlineMaxPerUser, 0, "offlineMaxPerUser");
        offlineTtl = positive(b.offlineTtl, "offlineTtl");
        dedupWindow = positive(b.dedupWindow, "dedupWindow");
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

    /** Time a client has to complete the WebSocket handshake after connecting. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** Largest inbound WebSocket message, in bytes; larger closes with 1009. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Longest {@code content} of a message, in UTF-16 chars; longer gets error {@code too_long}. */
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

    /** Whether {@code GET /} serves the built-in browser client. */
    public boolean serveWebClient() {
        return serveWebClient;
    }

    /** Makes the store each {@link Chat} opens when created, and closes in {@link Chat#close()}. */
    public Supplier<? extends MessageStore> store() {
        return store;
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

    /** How long a client id is remembered, so that resending it returns the original ack. */
    public Duration dedupWindow() {
        return dedupWindow;
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
                + ", maxHttpRequestBytes=" + maxHttpRequestBytes + ", originPolicy=" + originPolicy
                + ", serveWebClient=" + serveWebClient + ", historySize=" + historySize + ", historyTtl=" + historyTtl
                + ", offlineMaxPerUser=" + offlineMaxPerUser + ", offlineTtl=" + offlineTtl
                + ", dedupWindow=" + dedupWindow + '}';
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
        private OriginPolicy originPolicy = OriginPolicy.sameHost();
        private IdentityResolver identityResolver = new QueryParameterIdentityResolver();
        private boolean serveWebClient = true;
        private Supplier<? extends MessageStore> store = MemoryMessageStore::new;
        private int historySize = 1000;
        private Duration historyTtl = Duration.ofHours(24);
        private int offlineMaxPerUser = 1000;
        private Duration offlineTtl = Duration.ofDays(7);
        private Duration dedupWindow = Duration.ofMinutes(10);

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
            originPolicy = c.originPolicy;
            identityResolver = c.identityResolver;
            serveWebClient = c.serveWebClient;
            store = c.store;
            historySize = c.historySize;
            historyTtl = c.historyTtl;
            offlineMaxPerUser = c.offlineMaxPerUser;
            offlineTtl = c.offlineTtl;
            dedupWindow = c.dedupWindow;
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
         * Default {@link MemoryMessageStore}: history and offline messages in the heap, gone on restart. The
         * supplier is called once per {@link Chat}, so two instances never share a store.
         */
        public Builder store(Supplier<? extends MessageStore> store) {
            this.store = store;
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

        /** Default 10 min. */
        public Builder dedupWindow(Duration dedupWindow) {
            this.dedupWindow = dedupWindow;
            return this;
        }

        public ChatConfig build() {
            return new ChatConfig(this);
        }
    }
}
