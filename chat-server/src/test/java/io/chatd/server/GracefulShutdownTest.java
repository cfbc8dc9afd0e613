package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.ChatConfig;
import io.chatd.core.CloseCodes;
import io.chatd.core.TestClient;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stopping the daemon: every WebSocket gets 1001, then the process exits 0. */
@Timeout(60)
class GracefulShutdownTest {

    @Test
    void shutdownClosesEveryConnectionWith1001AndStopsAccepting() throws Exception {
        ChatServer server = ChatServer.start(ChatConfig.newBuilder().serveWebClient(false).build(), "127.0.0.1", 0, 1);
        int port = server.port();
        try (TestClient alice = TestClient.connect(port, "alice"); TestClient bob = TestClient.connect(port, "bob")) {
            alice.expect("welcome");
            bob.expect("welcome");
            assertTrue(server.shutdown(Duration.ofSeconds(5)));
            assertEquals(CloseCodes.GOING_AWAY, alice.awaitCloseCode());
            assertEquals(CloseCodes.GOING_AWAY, bob.awaitCloseCode());
        }
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
    }

    @Test
    void aShutdownPastItsGraceSaysSoAndLaterWritesAreRefusedNotLost() throws Exception {
        ChatServer server = ChatServer.start(ChatConfig.newBuilder().serveWebClient(false)
                .maxOutboundBytes(256 * 1024 * 1024).store(io.chatd.core.store.MemoryMessageStore::new)
                .build(), "127.0.0.1", 0, 1);
        try (TestClient alice = TestClient.connect(server.port(), "alice");
             TestClient bob = TestClient.connect(server.port(), "bob")) {
            alice.expect("welcome");
            bob.expect("welcome");
            bob.stopReading(); // bob's socket fills up: his close frame cannot be written in time
            String text = "x".repeat(4000);
            for (int i = 0; i < 8000; i++) {
                server.chat().broadcast("lobby", "flood", text);
            }
            server.chat().broadcast("lobby", "flood", "last").get(30, TimeUnit.SECONDS);
            long started = System.nanoTime();
            assertFalse(server.shutdown(Duration.ofMillis(500)), "bob could not be closed within the grace");
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(8), "bounded past the grace");
            var refused = server.chat().sendPrivate("ops", "carol", "after the store closed");
            assertThrows(java.util.concurrent.ExecutionException.class, () -> refused.get(5, TimeUnit.SECONDS),
                    "refused, not acknowledged and dropped");
        }
    }

    @Test
    void sigtermSends1001AfterTheReconnectWindowOfTheRateFlagAndExitsZero() throws Exception {
        Process process = startDaemon("5s", "--reconnect-rate", "2");
        try {
            int port = DaemonProcess.awaitListeningPort(process);
            try (TestClient alice = TestClient.connect(port, "alice");
                 TestClient bob = TestClient.connect(port, "bob");
                 TestClient carol = TestClient.connect(port, "carol")) {
                alice.expect("welcome");
                process.destroy(); // SIGTERM
                assertEquals(CloseCodes.GOING_AWAY, alice.awaitCloseCode());
                // 3 connections at 2 handshakes a second: come back within 1.5 s.
                assertEquals(1500, alice.nextOfType("reconnect").get("within").getAsLong());
                for (TestClient other : List.of(bob, carol)) {
                    assertEquals(CloseCodes.GOING_AWAY, other.awaitCloseCode());
                }
            }
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exits within the grace period");
            assertEquals(0, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aShutdownThatOutlivesTheGraceExitsThreeNotZero() throws Exception {
        Process process = startDaemon("0s");
        try {
            int port = DaemonProcess.awaitListeningPort(process);
            try (TestClient alice = TestClient.connect(port, "alice")) {
                alice.expect("welcome");
                process.destroy(); // SIGTERM; no time to close alice's connection
                assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exits once the loops stopped");
            }
            assertEquals(ChatServerMain.EXIT_SHUTDOWN_TIMED_OUT, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void sigtermTurnsReadinessTo503AtOnceAndKeepsServingForTheDrainDelay() throws Exception {
        Process process = startDaemon("5s", "--drain-delay", "3s");
        try {
            int port = DaemonProcess.awaitListeningPort(process);
            HttpClient http = HttpClient.newHttpClient();
            URI readyz = URI.create("http://127.0.0.1:" + port + "/readyz");
            assertEquals(200, http.send(HttpRequest.newBuilder(readyz).build(), BodyHandlers.discarding()).statusCode());
            try (TestClient alice = TestClient.connect(port, "alice"); TestClient bob = TestClient.connect(port, "bob")) {
                alice.expect("welcome");
                bob.expect("welcome");
                long signalled = System.nanoTime();
                process.destroy(); // SIGTERM
                int status = 200;
                while (status == 200 && System.nanoTime() - signalled < TimeUnit.SECONDS.toNanos(2)) {
                    status = http.send(HttpRequest.newBuilder(readyz).build(), BodyHandlers.discarding()).statusCode();
                }
                assertEquals(503, status, "not ready within the first moments of the shutdown");
                // Draining is not closed: connections still chat, and new clients are still served.
                alice.sendJson("type", "msg", "room", "lobby", "content", "still here", "id", "d1");
                assertEquals("still here", bob.nextOfType("msg").get("content").getAsString());
                try (TestClient late = TestClient.connect(port, "carol")) {
                    late.expect("welcome");
                }
                assertEquals(CloseCodes.GOING_AWAY, alice.awaitCloseCode());
                assertTrue(System.nanoTime() - signalled >= TimeUnit.MILLISECONDS.toNanos(2900),
                        "the 1001 waited for the drain delay");
            }
            assertTrue(process.waitFor(15, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
    }

    /** The daemon in its own process on a free port, with the given --shutdown-grace and no drain delay. */
    private static Process startDaemon(String shutdownGrace, String... extra) throws IOException {
        List<String> flags = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--shutdown-grace",
                shutdownGrace, "--store", "memory", "--no-web-client"));
        flags.addAll(List.of(extra));
        if (!flags.contains("--drain-delay")) {
            flags.addAll(List.of("--drain-delay", "0s"));
        }
        return DaemonProcess.start(flags);
    }
}
