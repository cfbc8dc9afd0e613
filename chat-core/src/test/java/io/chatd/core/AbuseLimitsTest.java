package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Rate limit and flood close, connection caps, room caps, proxies' X-Forwarded-For and log injection. */
@Timeout(60)
class AbuseLimitsTest {

    @Test
    void flooderIsRateLimitedThenClosedWhileAWellBehavedSenderLosesNothing() throws Exception {
        try (TestServer server = TestServer.start(b -> b.rateLimit(50, 10));
             TestClient bob = TestClient.connect(server.port(), "bob");
             TestClient carol = TestClient.connect(server.port(), "carol");
             TestClient mallory = TestClient.connect(server.port(), "mallory")) {
            for (TestClient c : List.of(bob, carol, mallory)) {
                c.expect("welcome");
            }
            bob.drain(Duration.ofMillis(200));
            carol.drain(Duration.ofMillis(200));
            mallory.drain(Duration.ofMillis(200));

            // Mallory fires 100 messages at once while carol sends 30 at 20/s, within the limit.
            Thread flood = new Thread(() -> {
                for (int i = 0; i < 100 && mallory.channel().isActive(); i++) {
                    mallory.channel().writeAndFlush(new io.netty.handler.codec.http.websocketx.TextWebSocketFrame(
                            "{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"spam\",\"id\":\"m" + i + "\"}"));
                }
            });
            flood.start();
            for (int i = 0; i < 30; i++) {
                carol.sendJson("type", "msg", "room", "lobby", "content", "c" + i, "id", "c" + i);
                Thread.sleep(50);
            }
            flood.join(10_000);

            assertEquals(CloseCodes.FLOODING, mallory.awaitCloseCode());
            List<JsonObject> malloryGot = mallory.drain(Duration.ofMillis(300));
            long acked = malloryGot.stream().filter(f -> f.get("type").getAsString().equals("ack")).count();
            long limited = malloryGot.stream().filter(f -> f.get("type").getAsString().equals("error")
                    && f.get("code").getAsString().equals("rate_limited")).count();
            assertTrue(limited > 0, "mallory was told to slow down first");

            List<String> carolsSeenByBob = new ArrayList<>();
            long spamSeenByBob = 0;
            for (JsonObject frame : bob.drain(Duration.ofMillis(500))) {
                if (frame.get("type").getAsString().equals("msg")) {
                    if (frame.get("from").getAsString().equals("carol")) {
                        carolsSeenByBob.add(frame.get("content").getAsString());
                    } else {
                        spamSeenByBob++;
                    }
                }
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                expected.add("c" + i);
            }
            assertEquals(expected, carolsSeenByBob, "every message of the well-behaved sender, in order");
            // Acks that were still on their way when mallory's close frame arrived are not read.
            assertTrue(spamSeenByBob >= 10 && spamSeenByBob < 100 && acked <= spamSeenByBob,
                    "mallory's burst went through, the rest did not: " + spamSeenByBob + " seen, " + acked + " acked");
            long carolAcks = carol.drain(Duration.ofMillis(200)).stream()
                    .filter(f -> f.get("type").getAsString().equals("ack")).count();
            assertEquals(30, carolAcks);
            assertTrue(bob.channel().isActive() && carol.channel().isActive());
            assertEquals(1, server.chat().stats().floodDisconnects());
        }
    }

    @Test
    void maxConnectionsGets503AndAClosedConnectionFreesItsSlot() throws Exception {
        try (TestServer server = TestServer.start(b -> b.maxConnections(2))) {
            try (TestClient a = TestClient.connect(server.port(), "a");
                 TestClient b = TestClient.connect(server.port(), "b")) {
                HandshakeProbe.Response full = HandshakeProbe.send(server.port(), "/ws?user=c", Map.of());
                assertEquals(503, full.status());
                assertEquals("5", full.header("Retry-After"));
            }
            awaitConnectionCount(server, 0);
            try (TestClient c = TestClient.connect(server.port(), "c")) {
                c.expect("welcome");
            }
        }
    }

    @Test
    void maxConnectionsPerIpGets429() throws Exception {
        try (TestServer server = TestServer.start(b -> b.maxConnectionsPerIp(1));
             TestClient a = TestClient.connect(server.port(), "a")) {
            // Without a trusted proxy X-Forwarded-For is the client's word and changes nothing.
            HandshakeProbe.Response refused = HandshakeProbe.send(server.port(), "/ws?user=b",
                    Map.of("X-Forwarded-For", "203.0.113.9"));
            assertEquals(429, refused.status());
            assertEquals("too many connections from your address\n", refused.body());
        }
    }

    @Test
    void behindATrustedProxyTheForwardedAddressIsCountedAndNeverShown() throws Exception {
        try (TestServer server = TestServer.start(b -> b.maxConnectionsPerIp(1)
                .trustedProxies(TrustedProxies.of(List.of("127.0.0.0/8"))));
             TestClient a = TestClient.connect(server.port(), "/ws?user=a",
                     h -> h.set("X-Forwarded-For", "198.51.100.7, 203.0.113.1"));
             TestClient b = TestClient.connect(server.port(), "/ws?user=b",
                     h -> h.set("X-Forwarded-For", "203.0.113.2"))) {
            // The left entry is whatever the client claimed; the proxy's own entry (rightmost) is what counts.
            HandshakeProbe.Response sameClient = HandshakeProbe.send(server.port(), "/ws?user=c",
                    Map.of("X-Forwarded-For", "10.9.9.9, 203.0.113.1"));
            assertEquals(429, sameClient.status());
            a.sendJson("type", "who", "room", "lobby");
            List<JsonObject> frames = new ArrayList<>(a.drain(Duration.ofMillis(300)));
            frames.addAll(b.drain(Duration.ofMillis(100)));
            for (JsonObject frame : frames) {
                String text = frame.toString();
                assertFalse(text.contains("203.0.113") || text.contains("127.0.0.1") || text.contains("198.51"),
                        "a frame revealed an address: " + text);
            }
        }
    }

    @Test
    void maxRoomsPerConnectionGetsTooManyRoomsUntilOneIsLeft() {
        try (TestServer server = TestServer.start(b -> b.maxRoomsPerConnection(2));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.expect("welcome");
            alice.expect("join");
            alice.sendJson("type", "join", "room", "two");
            alice.expect("join");
            alice.sendJson("type", "join", "room", "three", "id", "j3");
            JsonObject error = alice.expect("error");
            assertEquals("too_many_rooms", error.get("code").getAsString());
            assertEquals("j3", error.get("id").getAsString());
            alice.sendJson("type", "join", "room", "two");
            assertEquals("two", alice.expect("join").get("room").getAsString(), "re-joining is not a new room");
            alice.sendJson("type", "leave", "room", "two");
            alice.expect("leave");
            alice.sendJson("type", "join", "room", "three");
            assertEquals("three", alice.expect("join").get("room").getAsString());
        }
    }

    @Test
    void maxRoomMembersGetsRoomFullAndADepartureFreesAPlace() throws Exception {
        try (TestServer server = TestServer.start(b -> b.maxRoomMembers(2));
             TestClient a = TestClient.connect(server.port(), "a");
             TestClient b = TestClient.connect(server.port(), "b")) {
            a.expect("welcome");
            b.expect("welcome");
            try (TestClient c = TestClient.connect(server.port(), "c")) {
                JsonObject welcome = c.expect("welcome");
                assertEquals(0, welcome.getAsJsonArray("rooms").size(), "the full default room is not joined");
                c.sendJson("type", "join", "room", "lobby", "id", "j");
                assertEquals("room_full", c.expect("error").get("code").getAsString());
                b.close();
                awaitConnectionCount(server, 2);
                // The connection count drops when the socket closes, its place in the room a moment later.
                long deadline = System.nanoTime() + TestClient.TIMEOUT.toNanos();
                while (server.chat().roomOccupancy().members("lobby") > 1 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                c.sendJson("type", "join", "room", "lobby");
                assertEquals("lobby", c.nextOfType("join").get("room").getAsString());
            }
            awaitConnectionCount(server, 1);
            assertEquals(1, server.chat().roomOccupancy().roomCount());
        }
    }

    @Test
    void refusedHandshakeIsLoggedWithClientTextEscaped() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("io.chatd.access"); // the handshake access lines
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level previous = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        logger.addAppender(appender);
        try (TestServer server = TestServer.start(b -> b.websocketPath("/ws"))) {
            HandshakeProbe.send(server.port(), "/ws?user=%0d%0aFAKE%20LINE%1b[31m", Map.of());
            HandshakeProbe.send(server.port(), "/ws", Map.of("Origin", "https://evil.example"));
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(previous);
        }
        assertEquals(2, appender.list.size(), appender.list::toString);
        assertTrue(appender.list.get(1).getFormattedMessage().startsWith("handshake 403 user=- client=127.0.0.1"),
                appender.list::toString);
        for (ILoggingEvent event : appender.list) {
            String line = event.getFormattedMessage();
            assertFalse(line.chars().anyMatch(c -> c < 0x20), "control character in a log line: " + line);
            assertFalse(line.contains("FAKE LINE"), "the query is not logged: " + line);
        }
    }

    private static void awaitConnectionCount(TestServer server, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TestClient.TIMEOUT.toNanos();
        while (server.chat().connectionLimiter().count() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, server.chat().connectionLimiter().count());
    }
}
