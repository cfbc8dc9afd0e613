package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.TestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon's first handshake after a start has to load: every client reconnecting after a restart waits
 * behind it. Each test starts the daemon with the JVM's class-loading log, opens one connection, and reads which
 * classes the process loaded.
 */
@Timeout(60)
class ColdStartTest {

    /** Loaded when a JFR event type registers: JFR's metadata, a quarter of a second on one core. */
    private static final String JFR_METADATA = "jdk.jfr.internal.MetadataRepository";
    private static final String NETTY_CHUNK_EVENT = "io.netty.buffer.AllocateChunkEvent";
    /** Loaded only once a WebSocket upgrade completed, so the log covers a whole handshake. */
    private static final String UPGRADED = "io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler$HandshakeComplete";

    private static final Pattern CLASS_LOADED = Pattern.compile("\\] (\\S+) source: ");

    @TempDir
    Path dir;

    @Test
    void theFirstHandshakeDoesNotRegisterNettysJfrEvents() throws Exception {
        Set<String> loaded = classesLoadedByOneHandshake(List.of());
        assertTrue(loaded.contains(UPGRADED), "the log covers the handshake");
        assertFalse(loaded.contains(NETTY_CHUNK_EVENT), "Netty's allocator events are off");
        assertFalse(loaded.contains(JFR_METADATA), "no JFR event type was registered");
    }

    @Test
    void anOperatorWhoAsksForNettysJfrEventsGetsThem() throws Exception {
        Set<String> loaded = classesLoadedByOneHandshake(List.of("-D" + ChatServerMain.NETTY_JFR_EVENTS + "=true"));
        assertTrue(loaded.contains(UPGRADED), "the log covers the handshake");
        assertTrue(loaded.contains(NETTY_CHUNK_EVENT), "Netty's allocator events are on");
        assertTrue(loaded.contains(JFR_METADATA), "their type was registered with JFR");
    }

    private Set<String> classesLoadedByOneHandshake(List<String> jvmOptions) throws Exception {
        Path log = dir.resolve("classes.log");
        List<String> options = new ArrayList<>(jvmOptions);
        options.add("-Xlog:class+load=info:file=" + log);
        Process process = DaemonProcess.start(options, List.of("--host", "127.0.0.1", "--port", "0", "--store",
                "memory", "--no-web-client", "--drain-delay", "0s"));
        try {
            int port = DaemonProcess.awaitListeningPort(process);
            try (TestClient alice = TestClient.connect(port, "alice")) {
                alice.expect("welcome");
            }
            process.destroy();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the daemon exits");
        } finally {
            process.destroyForcibly();
        }
        // One line per class: "[uptime][info][class,load] NAME source: WHERE".
        try (var lines = Files.lines(log)) {
            return lines.map(CLASS_LOADED::matcher).filter(Matcher::find).map(m -> m.group(1))
                    .collect(Collectors.toSet());
        }
    }
}
