package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.ChatConfig;
import io.chatd.core.store.MemoryMessageStore;
import io.chatd.core.store.MessageStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
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
                "--max-outbound-bytes", "--max-http-request-bytes", "--allowed-origins", "--io-threads",
                "--shutdown-grace", "--store", "--history-size", "--history-ttl", "--offline-max", "--offline-ttl",
                "--dedup-window"}) {
            assertTrue(help.out().contains(flag), flag);
        }
    }

    @Test
    void versionExitsZero() {
        Run version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("chat-server "), version.out());
    }

    @Test
    void badFlagsPrintUsageAndExitTwo() {
        for (String[] args : new String[][] {{"--bogus"}, {"--port", "abc"}, {"--port", "70000"},
                {"--ping-interval", "60s", "--idle-timeout", "30s"}, {"--max-frame-bytes", "12 parsecs"},
                {"--default-room", "no spaces"}, {"--ws-path", "ws"}, {"--store", "postgres://x"},
                {"--store", "sqlite:"}, {"--history-size", "0"}, {"--offline-max", "-1"}, {"--dedup-window", "0s"}}) {
            Run bad = run(args);
            assertEquals(2, bad.exitCode(), String.join(" ", args));
            assertTrue(bad.err().contains("Usage:"), bad.err());
        }
    }

    @Test
    void flagsBecomeChatConfig() {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--ws-path", "/chat", "--default-room", "", "--ping-interval", "500ms",
                "--idle-timeout", "2m", "--max-frame-bytes", "8KiB", "--max-content-chars", "100",
                "--max-outbound-bytes", "2MiB", "--allowed-origins", "https://a.example,https://b.example");
        ChatConfig config = main.toChatConfig();
        assertEquals("/chat", config.websocketPath());
        assertEquals("", config.defaultRoom());
        assertEquals(Duration.ofMillis(500), config.pingInterval());
        assertEquals(Duration.ofMinutes(2), config.idleTimeout());
        assertEquals(8192, config.maxFrameBytes());
        assertEquals(100, config.maxContentChars());
        assertEquals(2 * 1024 * 1024, config.maxOutboundBytes());
        assertEquals("same-host+[https://a.example, https://b.example]".length(),
                config.originPolicy().toString().length());
    }

    @Test
    void storeFlagsBecomeChatConfig() {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--store", "memory", "--history-size", "50", "--history-ttl", "2h",
                "--offline-max", "0", "--offline-ttl", "30m", "--dedup-window", "1m");
        ChatConfig config = main.toChatConfig();
        assertTrue(config.store().get() instanceof MemoryMessageStore);
        assertEquals(50, config.historySize());
        assertEquals(Duration.ofHours(2), config.historyTtl());
        assertEquals(0, config.offlineMaxPerUser());
        assertEquals(Duration.ofMinutes(30), config.offlineTtl());
        assertEquals(Duration.ofMinutes(1), config.dedupWindow());

        ChatServerMain defaults = new ChatServerMain();
        new CommandLine(defaults).parseArgs();
        MessageStore store = defaults.toChatConfig().store().get();
        assertTrue(store instanceof SqliteMessageStore);
        assertEquals(Path.of("./data/chat.db"), ((SqliteMessageStore) store).path());
    }
}
