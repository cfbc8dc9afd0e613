package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.ChatConfig;
import io.chatd.core.store.MemoryMessageStore;
import io.chatd.core.store.MessageStore;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Flag parsing, validation and the translation to library configuration. */
class ChatServerMainTest {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = ChatServerMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return new Run(cli.execute(args), out.toString(), err.toString());
    }

    @Test
    void helpListsEveryFlagAndExitsZero() {
        Run help = run("--help");
        assertEquals(0, help.exitCode());
        for (String flag : new String[] {"--host", "--port", "--ws-path", "--default-room", "--ping-interval",
                "--idle-timeout", "--handshake-timeout", "--max-frame-bytes", "--max-content-chars",
                "--max-outbound-bytes", "--max-http-request-bytes", "--flush-interval", "--allowed-origins",
                "--io-threads", "--shutdown-grace", "--auth", "--jwt-secret-file", "--jwt-public-key", "--jwt-jwks",
                "--jwt-rooms-claim", "--jwt-issuer", "--jwt-audience", "--tls-cert", "--tls-key", "--rate-limit",
                "--rate-burst", "--max-connections", "--max-connections-per-ip", "--max-rooms-per-connection",
                "--max-room-members", "--trust-proxy", "--store", "--history-size", "--history-ttl", "--offline-max",
                "--offline-ttl", "--dedup-window", "--drain-delay", "--reconnect-rate", "--admin-port", "--admin-host", "--admin-key-file"}) {
            assertTrue(help.out().contains(flag), flag);
        }
    }

    @Test
    void anAdminKeyShorterThan32BytesRefusesToStartWithExitTwo(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("admin.key");
        Files.writeString(key, "too-short-key\n");
        Run run = run("--port", "0", "--store", "memory", "--admin-port", "0", "--admin-key-file", key.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--admin-key-file") && run.err().contains("at least 32"), run.err());
        Run missing = run("--port", "0", "--store", "memory", "--admin-port", "0", "--admin-key-file",
                dir.resolve("absent.key").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("cannot read"), missing.err());
        Run withoutListener = run("--port", "0", "--store", "memory", "--admin-key-file", key.toString());
        assertEquals(2, withoutListener.exitCode());
        assertTrue(withoutListener.err().contains("needs --admin-port"), withoutListener.err());
    }

    @Test
    void flagsCanComeFromAnArgumentFile(@TempDir Path dir) throws Exception {
        Path args = dir.resolve("chatd.args");
        Files.writeString(args, "# the flags of /etc/chatd/chatd.args\n--store memory\n--port 70000\n");
        Run run = run("@" + args);
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--port must be 0 to 65535"), "the file's --port was read: " + run.err());
    }

    @Test
    void negativeDrainDelayIsAUsageError() {
        Run run = run("--port", "0", "--store", "memory", "--drain-delay", "-1s");
        assertEquals(2, run.exitCode());
    }

    @Test
    void aReconnectRateBelowOneIsAUsageErrorAndTheRateBecomesChatConfig() {
        for (String rate : new String[] {"0", "-5", "fast"}) {
            Run bad = run("--port", "0", "--store", "memory", "--reconnect-rate", rate);
            assertEquals(2, bad.exitCode(), rate);
            assertTrue(bad.err().startsWith("chat-server: ") && bad.err().contains("--reconnect-rate"), bad.err());
        }
        assertEquals("chat-server: --reconnect-rate must be at least 1: 0",
                run("--reconnect-rate", "0").err().lines().findFirst().orElseThrow());
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs();
        assertEquals(ChatConfig.DEFAULT_RECONNECT_RATE, main.toChatConfig().reconnectRate());
        new CommandLine(main).parseArgs("--reconnect-rate", "250");
        assertEquals(250, main.toChatConfig().reconnectRate());
    }

    @Test
    void storeWithRedisIsAUsageErrorAndAnUnreachableRedisFailsTheStart() {
        Run both = run("--port", "0", "--redis", "redis://127.0.0.1:1", "--store", "memory");
        assertEquals(2, both.exitCode());
        assertTrue(both.err().startsWith("chat-server: --store cannot be used with --redis"), both.err());
        Run badUri = run("--port", "0", "--redis", "http://nowhere");
        assertEquals(2, badUri.exitCode(), badUri.err());
        Run unreachable = run("--port", "0", "--redis", "redis://127.0.0.1:1", "--node-id", "a");
        assertEquals(1, unreachable.exitCode(), unreachable.err());
    }

    @Test
    void versionExitsZero() {
        Run version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("chat-server "), version.out());
    }

    @Test
    void helpGroupsTheFlagsInSections() {
        String help = run("--help").out();
        int network = help.indexOf("\nNetwork:");
        int limits = help.indexOf("\nLimits:");
        int auth = help.indexOf("\nAuthentication and TLS:");
        int store = help.indexOf("\nStore:");
        int operations = help.indexOf("\nOperations:");
        assertTrue(network >= 0 && network < limits && limits < auth && auth < store && store < operations, help);
        assertFalse(help.contains("\nOther:"), "every flag has its section: " + help);
        assertTrue(help.indexOf("--idle-timeout", network) < limits, help);
        assertTrue(help.indexOf("--dedup-max-ids", store) < operations, help);
        assertTrue(help.startsWith("Usage: chat-server [OPTIONS]"), "a short synopsis: " + help);
    }

    @Test
    void aBadFlagPrintsOneLineAndAHintNotTheUsage() {
        Run bad = run("--prot=8080");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().startsWith("chat-server: Unknown option: '--prot=8080'"), bad.err());
        assertTrue(bad.err().strip().lines().count() <= 3, "the reason, maybe a suggestion, the hint: " + bad.err());
        assertTrue(bad.err().contains("Try 'chat-server --help'"), bad.err());
    }

    @Test
    void errorsNameTheFlagsAsTyped() {
        assertEquals("chat-server: --ping-interval (25s) must be shorter than --idle-timeout (5s)",
                run("--idle-timeout", "5s").err().lines().findFirst().orElseThrow());
        assertEquals("chat-server: --history-size must be at least 1: 0",
                run("--history-size", "0").err().lines().findFirst().orElseThrow());
        assertEquals("chat-server: --flush-interval must be between 0 and 1 s: 2s",
                run("--flush-interval", "2s").err().lines().findFirst().orElseThrow());
        assertEquals("chat-server: --offline-max must be at least 0: -1",
                run("--offline-max", "-1").err().lines().findFirst().orElseThrow());
    }

    @Test
    void aDurationWithoutAUnitIsRefusedButZeroIsZero() {
        Run bare = run("--idle-timeout", "60");
        assertEquals(2, bare.exitCode());
        assertTrue(bare.err().contains("'60' needs a unit: 60ms, 60s or 60m"), bare.err());
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--flush-interval", "0");
        assertEquals(Duration.ZERO, main.toChatConfig().flushInterval());
    }

    @Test
    void aPortInUseSaysSoExitsOneAndLeavesNoStoreBehind(@TempDir Path dir) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(ChatServerMain.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        Path db = dir.resolve("data/chat.db");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Run run = run("--host", "127.0.0.1", "--port", Integer.toString(port), "--store", "sqlite:" + db);
            assertEquals(1, run.exitCode());
            assertTrue(appender.list.stream().anyMatch(e -> e.getFormattedMessage().equals(
                    "could not start: port " + port + " on 127.0.0.1 is already in use")), appender.list::toString);
        } finally {
            logger.detachAppender(appender);
        }
        assertFalse(Files.exists(db), "no store file from the failed start");
        assertFalse(Files.exists(db.getParent()), "nor the directory it created");
    }

    @Test
    void badFlagsPrintUsageAndExitTwo() {
        for (String[] args : new String[][] {{"--bogus"}, {"--port", "abc"}, {"--port", "70000"},
                {"--ping-interval", "60s", "--idle-timeout", "30s"}, {"--max-frame-bytes", "12 parsecs"},
                {"--default-room", "no spaces"}, {"--ws-path", "ws"}, {"--flush-interval", "2s"},
                {"--flush-interval", "-1ms"}, {"--auth", "basic"}, {"--auth", "jwt"},
                {"--jwt-secret-file", "pom.xml"}, {"--auth", "jwt", "--jwt-secret-file", "/nonexistent"},
                {"--auth", "jwt", "--jwt-public-key", "pom.xml"}, {"--tls-cert", "pom.xml"},
                {"--tls-cert", "pom.xml", "--tls-key", "pom.xml"}, {"--rate-limit", "-1"},
                {"--max-connections", "-1"}, {"--trust-proxy", "proxy.example.com"}, {"--trust-proxy", "10.0.0.0/33"},
                {"--store", "postgres://x"}, {"--store", "sqlite:"}, {"--history-size", "0"}, {"--offline-max", "-1"},
                {"--dedup-window", "0s"}}) {
            Run bad = run(args);
            assertEquals(2, bad.exitCode(), String.join(" ", args));
            assertTrue(bad.err().startsWith("chat-server: ") && bad.err().contains("Try 'chat-server --help'"),
                    bad.err());
            assertFalse(bad.err().contains("Usage:"), bad.err());
        }
    }

    @Test
    void flushIntervalDefaultsToTenMillisAndZeroTurnsItOff() {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs();
        assertEquals(Duration.ofMillis(10), main.toChatConfig().flushInterval());
        new CommandLine(main).parseArgs("--flush-interval", "0");
        assertEquals(Duration.ZERO, main.toChatConfig().flushInterval());
    }

    @Test
    void flagsBecomeChatConfig() {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--ws-path", "/chat", "--default-room", "", "--ping-interval", "500ms",
                "--idle-timeout", "2m", "--max-frame-bytes", "8KiB", "--max-content-chars", "100",
                "--max-outbound-bytes", "2MiB", "--flush-interval", "500us",
                "--allowed-origins", "https://a.example,https://b.example");
        ChatConfig config = main.toChatConfig();
        assertEquals("/chat", config.websocketPath());
        assertEquals("", config.defaultRoom());
        assertEquals(Duration.ofMillis(500), config.pingInterval());
        assertEquals(Duration.ofMinutes(2), config.idleTimeout());
        assertEquals(8192, config.maxFrameBytes());
        assertEquals(100, config.maxContentChars());
        assertEquals(2 * 1024 * 1024, config.maxOutboundBytes());
        assertEquals(Duration.ofNanos(500_000), config.flushInterval());
        assertEquals("same-host+[https://a.example, https://b.example]".length(),
                config.originPolicy().toString().length());
    }

    @Test
    void abuseLimitFlagsBecomeChatConfig() {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--rate-limit", "5", "--rate-burst", "7", "--max-connections", "100",
                "--max-connections-per-ip", "3", "--max-rooms-per-connection", "4", "--max-room-members", "50",
                "--trust-proxy", "127.0.0.1,10.0.0.0/8");
        ChatConfig config = main.toChatConfig();
        assertEquals(5.0, config.rateLimit());
        assertEquals(7, config.rateBurst());
        assertEquals(100, config.maxConnections());
        assertEquals(3, config.maxConnectionsPerIp());
        assertEquals(4, config.maxRoomsPerConnection());
        assertEquals(50, config.maxRoomMembers());
        assertEquals("[127.0.0.1, 10.0.0.0/8]", config.trustedProxies().toString());
        ChatServerMain plain = new ChatServerMain();
        new CommandLine(plain).parseArgs();
        ChatConfig defaults = plain.toChatConfig();
        assertEquals(0.0, defaults.rateLimit());
        assertEquals(100, defaults.maxRoomsPerConnection());
        assertEquals(ChatConfig.newBuilder().build().maxRoomsPerConnection(), defaults.maxRoomsPerConnection(),
                "the library and the daemon share one default");
    }

    @Test
    void authJwtWithASecretFileRequiresSignedTokens(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path secret = dir.resolve("jwt.secret");
        java.nio.file.Files.write(secret, (new String(io.chatd.core.Tokens.SECRET,
                java.nio.charset.StandardCharsets.US_ASCII) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--auth", "jwt", "--jwt-secret-file", secret.toString());
        io.chatd.core.IdentityResolver resolver = main.toChatConfig().identityResolver();
        assertTrue(resolver instanceof io.chatd.core.auth.JwtIdentityResolver, resolver.toString());
        io.netty.handler.codec.http.DefaultHttpRequest request = new io.netty.handler.codec.http.DefaultHttpRequest(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET,
                "/ws?token=" + io.chatd.core.Tokens.hs256(io.chatd.core.Tokens.claims("alice", Duration.ofMinutes(1))));
        assertEquals("alice", resolver.resolve(request).user(), "the trailing newline is not part of the secret");
    }

    @Test
    void storeFlagsBecomeChatConfig() {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--store", "memory", "--history-size", "50", "--history-ttl", "2h",
                "--offline-max", "0", "--offline-ttl", "30m", "--dedup-window", "1m", "--offline-max-per-sender", "7",
                "--offline-max-total", "70");
        ChatConfig config = main.toChatConfig();
        assertTrue(config.store().get() instanceof MemoryMessageStore);
        assertEquals(50, config.historySize());
        assertEquals(Duration.ofHours(2), config.historyTtl());
        assertEquals(0, config.offlineMaxPerUser());
        assertEquals(Duration.ofMinutes(30), config.offlineTtl());
        assertEquals(Duration.ofMinutes(1), config.dedupWindow());
        assertEquals(7, config.offlineMaxPerSender());
        assertEquals(70, config.offlineMaxTotal());

        ChatServerMain defaults = new ChatServerMain();
        new CommandLine(defaults).parseArgs();
        MessageStore store = defaults.toChatConfig().store().get();
        assertTrue(store instanceof SqliteMessageStore);
        assertEquals(Path.of("./data/chat.db"), ((SqliteMessageStore) store).path());
    }
}
