package io.chatd.server;

import io.chatd.core.ChatConfig;
import io.chatd.core.OriginPolicy;
import io.chatd.core.cluster.Cluster;
import io.chatd.core.cluster.ClusterException;
import io.chatd.core.store.MemoryMessageStore;
import io.chatd.redis.RedisCluster;
import io.chatd.core.store.MessageStore;
import io.chatd.core.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code chat-server} command: parses flags, validates them, translates them to a {@link ChatConfig}, runs
 * the server and shuts it down in order on SIGTERM or SIGINT. Exit codes: 0 after a clean run, 1 when the
 * server could not start, 2 for bad flags, 3 when the shutdown ran out of --shutdown-grace.
 */
@Command(name = "chat-server", mixinStandardHelpOptions = true, versionProvider = ChatServerMain.Version.class,
        sortOptions = false, usageHelpAutoWidth = true, customSynopsis = "chat-server [OPTIONS]",
        description = "WebSocket chat daemon: rooms, private messages, history and a built-in web client.",
        footer = {"", "Durations take a unit: 500ms, 25s, 2m. Sizes take an optional unit: 65536, 64KiB, 1MiB.",
                "Connect with ws://HOST:PORT/ws?user=NAME (--auth none) or with a token (--auth jwt); "
                        + "see docs/protocol.md and docs/security.md."})
public final class ChatServerMain implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ChatServerMain.class);
    /** Exit code when the graceful shutdown did not finish within --shutdown-grace. */
    static final int EXIT_SHUTDOWN_TIMED_OUT = 3;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port to bind; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--ws-path", defaultValue = "/ws", description = "WebSocket endpoint path (default: ${DEFAULT-VALUE}).")
    String wsPath;

    @Option(names = "--default-room", defaultValue = "lobby",
            description = "Room joined on connect; empty for none (default: ${DEFAULT-VALUE}).")
    String defaultRoom;

    @Option(names = "--ping-interval", defaultValue = "25s", converter = Converters.DurationConverter.class,
            description = "Client silence after which the server pings (default: ${DEFAULT-VALUE}).")
    Duration pingInterval;

    @Option(names = "--idle-timeout", defaultValue = "60s", converter = Converters.DurationConverter.class,
            description = "Client silence after which the server closes with 4001; above --ping-interval (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--handshake-timeout", defaultValue = "10s", converter = Converters.DurationConverter.class,
            description = "Time from accept until the WebSocket upgrade; a connection still plain HTTP then is "
                    + "closed, however it trickles its request (default: ${DEFAULT-VALUE}).")
    Duration handshakeTimeout;

    @Option(names = "--max-frame-bytes", defaultValue = "64KiB", converter = Converters.SizeConverter.class,
            description = "Largest inbound message; larger closes with 1009 (default: ${DEFAULT-VALUE}).")
    int maxFrameBytes;

    @Option(names = "--max-content-chars", defaultValue = "4096",
            description = "Longest message content; longer gets error too_long (default: ${DEFAULT-VALUE}).")
    int maxContentChars;

    @Option(names = "--max-outbound-bytes", defaultValue = "1MiB", converter = Converters.SizeConverter.class,
            description = "Unsent bytes after which a slow reader is closed with 4000 (default: ${DEFAULT-VALUE}).")
    int maxOutboundBytes;

    @Option(names = "--max-http-request-bytes", defaultValue = "16KiB", converter = Converters.SizeConverter.class,
            description = "Largest HTTP request body before the upgrade (default: ${DEFAULT-VALUE}).")
    int maxHttpRequestBytes;

    @Option(names = "--flush-interval", defaultValue = "10ms", converter = Converters.DurationConverter.class,
            description = "Shortest time between two flushes of an event loop's sockets: under load, the frames of "
                    + "that time leave in one syscall per socket; 0 flushes every loop turn (default: ${DEFAULT-VALUE}).")
    Duration flushInterval;

    @Option(names = "--allowed-origins", split = ",", paramLabel = "ORIGIN",
            description = "Browser origins allowed besides the server's own host, comma-separated, e.g. "
                    + "https://chat.example.com; * allows any. Requests without Origin are always allowed.")
    List<String> allowedOrigins = List.of();

    @Option(names = "--no-web-client", negatable = false,
            description = "Do not serve the built-in browser client at /.")
    boolean noWebClient;

    @Option(names = "--io-threads", defaultValue = "0",
            description = "Event loop threads; 0 means one per available core (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    // ---- storage (issue 5) ----

    @Option(names = "--store", defaultValue = "sqlite:./data/chat.db", paramLabel = "STORE",
            description = "Where history and offline messages live: sqlite:PATH (durable; created if missing) or "
                    + "memory (lost on restart) (default: ${DEFAULT-VALUE}).")
    String store;

    // ---- several nodes (issue 12) ----

    @Option(names = "--redis", paramLabel = "URI",
            description = "Run as one node of a cluster on this Redis (7.0 or later): redis://[user:pass@]host:port"
                    + "[/db], or rediss:// for TLS. Room numbering and history, presence, private routing and "
                    + "offline messages then live in Redis, shared by every node; --store is refused. "
                    + "Default: none, a single node. See docs/operations.md.")
    String redis;

    @Option(names = "--node-id", paramLabel = "ID",
            description = "This node's id in the cluster, unique among the nodes; a node that restarts under the "
                    + "same id clears its earlier presence at once (default: generated, logged at startup).")
    String nodeId;

    @Option(names = "--history-size", defaultValue = "1000",
            description = "Messages kept per room, and the most a resume replays (default: ${DEFAULT-VALUE}).")
    int historySize;

    @Option(names = "--history-ttl", defaultValue = "24h", converter = Converters.DurationConverter.class,
            description = "Age after which room messages leave the history (default: ${DEFAULT-VALUE}).")
    Duration historyTtl;

    @Option(names = "--offline-max", defaultValue = "1000",
            description = "Private messages kept per offline user, oldest dropped first; 0 refuses them with "
                    + "user_offline (default: ${DEFAULT-VALUE}).")
    int offlineMax;

    @Option(names = "--presence-notices-max", defaultValue = "100",
            description = "Rooms of up to this many users send a join/leave notice per change to every member; "
                    + "larger ones send one gathered presence frame per --presence-interval (default: "
                    + "${DEFAULT-VALUE}).")
    int presenceNoticesMax;

    @Option(names = "--presence-names-max", defaultValue = "1000",
            description = "Rooms of up to this many users name who joined and left in their presence frames; "
                    + "larger ones send the user count only, every --presence-interval times users / this "
                    + "(rounded up, at most 30s) (default: ${DEFAULT-VALUE}).")
    int presenceNamesMax;

    @Option(names = "--presence-interval", defaultValue = "1s", converter = Converters.DurationConverter.class,
            description = "How often a room past --presence-notices-max users sends its gathered presence "
                    + "changes (default: ${DEFAULT-VALUE}).")
    Duration presenceInterval;

    @Option(names = "--offline-max-per-sender", defaultValue = "1000",
            description = "Private messages one sender may have waiting for offline users, all recipients "
                    + "together; more get offline_full until some are delivered (default: ${DEFAULT-VALUE}).")
    int offlineMaxPerSender;

    @Option(names = "--offline-max-total", defaultValue = "1000000",
            description = "Private messages waiting for offline users, all senders together; more get "
                    + "offline_full (default: ${DEFAULT-VALUE}).")
    int offlineMaxTotal;

    @Option(names = "--offline-ttl", defaultValue = "168h", converter = Converters.DurationConverter.class,
            description = "Age after which undelivered private messages are dropped (default: ${DEFAULT-VALUE}).")
    Duration offlineTtl;

    @Option(names = "--dedup-window", defaultValue = "10m", converter = Converters.DurationConverter.class,
            description = "How long a resent message id returns the original ack (default: ${DEFAULT-VALUE}).")
    Duration dedupWindow;

    @Option(names = "--dedup-max-ids", defaultValue = "200000",
            description = "Most message ids remembered for --dedup-window across all users (about 300 bytes each); "
                    + "each user's newest 1000 count. Past either, the oldest id is forgotten early "
                    + "(default: ${DEFAULT-VALUE}).")
    int dedupMaxIds;

    @Option(names = "--shutdown-grace", defaultValue = "10s", converter = Converters.DurationConverter.class,
            description = "Longest time to close connections on SIGTERM/SIGINT before exiting (default: ${DEFAULT-VALUE}).")
    Duration shutdownGrace;

    @Option(names = "--drain-delay", defaultValue = "2s", converter = Converters.DurationConverter.class,
            description = "On SIGTERM, how long /readyz answers 503 while the server still serves, before the 1001 "
                    + "closes go out; 0 for none (default: ${DEFAULT-VALUE}).")
    Duration drainDelay;

    @Option(names = "--reconnect-rate", defaultValue = "" + ChatConfig.DEFAULT_RECONNECT_RATE,
            paramLabel = "PER_SECOND",
            description = "Handshakes per second that the clients sent away by a shutdown (1001), or by a cluster's "
                    + "Redis losing its data (1012), are asked to spread their reconnects to: each gets a window of "
                    + "connections / rate seconds (0.5 s to 60 s) to reconnect in. Lower it when a restarted "
                    + "server still queues handshakes (default: ${DEFAULT-VALUE}).")
    int reconnectRate;

    // ---- operations (issue 13) ----

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "Opens the admin listener on this port (0 picks a free one): /metrics, /readyz, /healthz "
                    + "and, with --admin-key-file, the admin API. Off by default.")
    Integer adminPort;

    @Option(names = "--admin-host", defaultValue = "127.0.0.1",
            description = "Address of the admin listener (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Option(names = "--admin-key-file", paramLabel = "FILE",
            description = "File holding the admin API key (at least 32 bytes; a final newline is ignored). Calls "
                    + "to /api/ need Authorization: Bearer KEY. Without it the admin API is off.")
    Path adminKeyFile;

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json",
            description = "Log lines as text, or as one JSON object per line (logback's JsonEncoder) with the "
                    + "line's fields: user, client, close code... (default: ${DEFAULT-VALUE}).")
    LogFormat logFormat;

    @CommandLine.Mixin
    SecurityOptions security = new SecurityOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Netty's switch for the JFR events of its buffer allocator. */
    static final String NETTY_JFR_EVENTS = "io.netty.jfr.enabled";

    public static void main(String[] args) {
        skipNettyJfrEventsUnlessAsked();
        System.exit(commandLine().execute(args));
    }

    /**
     * Netty's allocator reports each new chunk as a JFR event whenever the JVM has JFR. Its first chunk loads JFR's
     * event metadata on the event loop, during the first handshake after every start: 230 ms of a 490 ms first
     * handshake (AMD EPYC, one core), which the clients reconnecting after a restart queue behind. Operators who
     * record those events pass {@code -Dio.netty.jfr.enabled=true}. Runs before anything loads Netty.
     */
    static void skipNettyJfrEventsUnlessAsked() {
        if (System.getProperty(NETTY_JFR_EVENTS) == null) {
            System.setProperty(NETTY_JFR_EVENTS, "false");
        }
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new ChatServerMain());
        HelpSections.install(commandLine);
        // A mistyped flag deserves its one-line reason, not the whole usage to scroll back through.
        commandLine.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("chat-server: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err); // "Possible solutions: --port"
            err.println("Try 'chat-server --help' for the flags.");
            return 2;
        });
        return commandLine;
    }

    @Override
    public Integer call() throws Exception {
        logFormat.apply(); // first: every line of this run in the chosen format
        ChatConfig config = toChatConfig();
        if (redis != null && spec.commandLine().getParseResult().hasMatchedOption("--store")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--store cannot be used with --redis: "
                    + "every node keeps its history and offline messages in Redis, so that no node's file diverges");
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port must be 0 to 65535");
        }
        if (ioThreads < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--io-threads must be 0 or more");
        }
        if (shutdownGrace.isNegative()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--shutdown-grace must not be negative");
        }
        if (drainDelay.isNegative()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--drain-delay must not be negative");
        }
        if (adminPort != null && (adminPort < 0 || adminPort > 65535)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--admin-port must be 0 to 65535");
        }
        byte[] adminKey = adminKey();
        if (security.auth == SecurityOptions.AuthMode.none) {
            log.warn("AUTHENTICATION IS OFF (--auth none): anyone can connect as any user with ?user=NAME. "
                    + "Use --auth jwt anywhere you do not trust every client; see docs/security.md.");
        }
        io.netty.handler.ssl.SslContext tls;
        try {
            tls = security.sslContext();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        // A start that fails must not leave a store file behind that it created (a typo'd port is no reason
        // for a new database beside the real one).
        List<Path> storeFiles = redis != null ? List.of() : storeFiles(store);
        List<Path> created = new ArrayList<>(storeFiles.stream().filter(f -> !Files.exists(f)).toList());
        if (!storeFiles.isEmpty() && !Files.exists(storeFiles.get(0).getParent())) {
            created.add(storeFiles.get(0).getParent()); // last: removed once empty
        }
        ChatServer server;
        try {
            server = ChatServer.start(config, host, port, ioThreads, tls);
            if (adminPort != null) {
                try {
                    server.startAdmin(adminHost, adminPort, adminKey);
                } catch (Exception e) {
                    server.shutdown(Duration.ZERO);
                    log.error("could not start: {}", inUse(e) ? "admin port " + adminPort + " on " + adminHost
                            + " is already in use" : e.toString());
                    deleteAll(created);
                    return 1;
                }
            }
        } catch (StoreException | ClusterException e) {
            log.error("could not start: {}", e.getMessage()); // already one line for the operator
            deleteAll(created);
            return 1;
        } catch (Exception e) {
            log.error("could not start: {}", inUse(e) ? "port " + port + " on " + host + " is already in use"
                    : e.toString());
            deleteAll(created);
            return 1;
        }
        log.info("ready on {}:{}: open {}://{}:{}{} (WebSocket {}://{}:{}{}); store {}; auth {}; transport {}, "
                        + "{} event loop(s)", host, server.port(),
                tls == null ? "http" : "https", urlHost(), server.port(), noWebClient ? " (no web client)" : "/",
                tls == null ? "ws" : "wss", urlHost(), server.port(), wsPath,
                describeStore(), security.auth, server.transport().name().toLowerCase(Locale.ROOT),
                server.eventLoops());
        if (adminPort != null) {
            log.info("admin listener on {}:{}: /metrics, /readyz, /healthz{}", adminHost, server.adminPort(),
                    adminKey == null ? " (admin API off: no --admin-key-file)" : " and the admin API at /api/");
        }
        awaitStopSignal();
        // A distinct code for a shutdown that ran out of time: some clients were cut off without their 1001.
        return server.shutdown(drainDelay, shutdownGrace) ? 0 : EXIT_SHUTDOWN_TIMED_OUT;
    }

    /** The admin API key from --admin-key-file, or null when there is none; a bad file is a usage error. */
    private byte[] adminKey() {
        if (adminKeyFile == null) {
            return null;
        }
        if (adminPort == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--admin-key-file needs --admin-port");
        }
        byte[] key;
        try {
            key = Files.readAllBytes(adminKeyFile);
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--admin-key-file: cannot read " + adminKeyFile + ": " + e.getMessage());
        }
        int length = key.length;
        while (length > 0 && (key[length - 1] == '\n' || key[length - 1] == '\r')) {
            length--; // echo KEY > file adds one
        }
        if (length < io.chatd.core.AdminApiHandler.MIN_KEY_BYTES) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--admin-key-file: the key in "
                    + adminKeyFile + " has " + length + " bytes; it needs at least "
                    + io.chatd.core.AdminApiHandler.MIN_KEY_BYTES + " (e.g. openssl rand -hex 32)");
        }
        return java.util.Arrays.copyOf(key, length);
    }

    /** The host a person types in a browser: a wildcard bind is reachable as localhost. */
    private String urlHost() {
        return host.equals("0.0.0.0") || host.equals("::") ? "localhost"
                : host.contains(":") ? "[" + host + "]" : host;
    }

    private String describeStore() {
        if (redis != null) {
            Cluster cluster = clusterOf(redis);
            return "redis " + cluster + " as node " + cluster.nodeId();
        }
        List<Path> files = storeFiles(store);
        return files.isEmpty() ? store : "sqlite " + files.get(0);
    }

    /** The files a {@code sqlite:PATH} store consists of (absolute), none for {@code memory}. */
    private static List<Path> storeFiles(String spec) {
        if (!spec.startsWith("sqlite:")) {
            return List.of();
        }
        Path db = Path.of(spec.substring("sqlite:".length())).toAbsolutePath().normalize();
        return List.of(db, Path.of(db + "-wal"), Path.of(db + "-shm"));
    }

    private static void deleteAll(List<Path> files) {
        for (Path file : files) {
            try {
                if (Files.exists(file)) { // not deleteIfExists: a path through a regular file throws there
                    Files.delete(file);
                }
            } catch (IOException e) {
                log.warn("could not remove {} after the failed start: {}", file, e.toString());
            }
        }
    }

    /** Whether a bind failed because the address is taken (NIO says BindException, epoll a native error). */
    private static boolean inUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits for SIGTERM or SIGINT. Handling the signals ourselves, rather than in a shutdown hook, lets the
     * ordered shutdown finish and the process exit 0 instead of the JVM's 143.
     */
    @SuppressWarnings("restriction")
    private static void awaitStopSignal() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        sun.misc.SignalHandler handler = signal -> {
            log.info("received SIG{}", signal.getName());
            stop.countDown();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
        stop.await();
    }

    /** The one place where flags become library configuration; bad values fail as usage errors (exit 2). */
    ChatConfig toChatConfig() {
        try {
            return security.applyTo(ChatConfig.newBuilder())
                    .websocketPath(wsPath)
                    .defaultRoom(defaultRoom)
                    .pingInterval(pingInterval)
                    .idleTimeout(idleTimeout)
                    .handshakeTimeout(handshakeTimeout)
                    .maxFrameBytes(maxFrameBytes)
                    .maxContentChars(maxContentChars)
                    .maxOutboundBytes(maxOutboundBytes)
                    .maxHttpRequestBytes(maxHttpRequestBytes)
                    .flushInterval(flushInterval)
                    .originPolicy(allowedOrigins.isEmpty() ? OriginPolicy.sameHost() : OriginPolicy.of(allowedOrigins))
                    .serveWebClient(!noWebClient)
                    .store(redis != null ? MemoryMessageStore::new : storeFactory(store))
                    .cluster(redis == null ? null : supplierOf(clusterOf(redis)))
                    .historySize(historySize)
                    .historyTtl(historyTtl)
                    .offlineMaxPerUser(offlineMax)
                    .offlineTtl(offlineTtl)
                    .presenceNoticesMax(presenceNoticesMax)
                    .presenceNamesMax(presenceNamesMax)
                    .presenceInterval(presenceInterval)
                    .offlineMaxPerSender(offlineMaxPerSender)
                    .offlineMaxTotal(offlineMaxTotal)
                    .dedupWindow(dedupWindow)
                    .dedupMaxIds(dedupMaxIds)
                    .reconnectRate(reconnectRate)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), inFlagTerms(e.getMessage()));
        }
    }

    /** Library settings whose flag is not simply the setting's name in kebab case. */
    private static final Map<String, String> FLAG_OF_SETTING = Map.of(
            "websocketPath", "--ws-path",
            "offlineMaxPerUser", "--offline-max");
    private static final Pattern SETTING = Pattern.compile("\\b[a-z]+(?:[A-Z][a-z]*)+\\b");
    private static final Pattern ISO_DURATION = Pattern.compile("\\bPT[0-9.HMS]+\\b");

    /**
     * Rewrites a library validation message for the person who typed the flags: setting names become flag
     * names and durations read as they were typed ({@code idleTimeout (PT5S)} becomes {@code --idle-timeout (5s)}).
     */
    static String inFlagTerms(String message) {
        String flags = SETTING.matcher(message).replaceAll(m -> Matcher.quoteReplacement(
                FLAG_OF_SETTING.getOrDefault(m.group(), "--" + m.group().replaceAll("([A-Z])", "-$1")
                        .toLowerCase(Locale.ROOT))));
        return ISO_DURATION.matcher(flags).replaceAll(m -> Converters.format(Duration.parse(m.group())));
    }

    private RedisCluster cluster;

    private static Supplier<Cluster> supplierOf(Cluster cluster) {
        return () -> cluster;
    }

    /** The cluster of {@code --redis}, made once (it connects only when the chat starts): a bad URI is a usage error. */
    private RedisCluster clusterOf(String uri) {
        if (cluster == null) {
            if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
                throw new IllegalArgumentException("--redis must be redis://[user:pass@]host:port[/db] or rediss://..."
                        + ", not '" + uri + "'");
            }
            if (nodeId != null && (nodeId.isBlank() || nodeId.length() > 64)) {
                throw new IllegalArgumentException("--node-id must be 1 to 64 characters");
            }
            cluster = new RedisCluster(uri, nodeId, RedisCluster.DEFAULT_PREFIX);
        }
        return cluster;
    }

    /** {@code memory} or {@code sqlite:PATH}; anything else is a usage error. */
    static Supplier<MessageStore> storeFactory(String spec) {
        if (spec.equals("memory")) {
            return MemoryMessageStore::new;
        }
        if (spec.startsWith("sqlite:") && spec.length() > "sqlite:".length()) {
            Path path = Path.of(spec.substring("sqlite:".length()));
            return () -> new SqliteMessageStore(path);
        }
        throw new IllegalArgumentException("--store must be memory or sqlite:PATH, not '" + spec + "'");
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = ChatServerMain.class.getResourceAsStream("/chatd-version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"chat-server " + properties.getProperty("version", "unknown")};
        }
    }
}
