package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the server does with oversized, malformed, refused, idle and slow connections. */
@Timeout(60)
class ConnectionLimitsTest {

    @Test
    void frameOverTheLimitClosesWith1009() {
        try (TestServer server = TestServer.start(b -> b.maxFrameBytes(1024));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.send("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"" + "x".repeat(2000) + "\"}");
            assertEquals(CloseCodes.MESSAGE_TOO_BIG, alice.awaitCloseCode());
        }
    }

    @Test
    void fragmentedMessageOverTheLimitClosesWith1009() {
        try (TestServer server = TestServer.start(b -> b.maxFrameBytes(1024));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.sendFrame(new TextWebSocketFrame(false, 0, "{\"type\":\"msg\",\"content\":\"" + "x".repeat(800)));
            alice.sendFrame(new ContinuationWebSocketFrame(true, 0, "x".repeat(800) + "\"}"));
            assertEquals(CloseCodes.MESSAGE_TOO_BIG, alice.awaitCloseCode());
        }
    }

    @Test
    void fragmentedMessageUnderTheLimitIsOneRequest() {
        try (TestServer server = TestServer.start(b -> b.maxFrameBytes(4096));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.expect("welcome");
            alice.sendFrame(new TextWebSocketFrame(false, 0, "{\"type\":\"pi"));
            alice.sendFrame(new ContinuationWebSocketFrame(true, 0, "ng\",\"id\":\"frag\"}"));
            assertEquals("frag", alice.nextOfType("pong").get("id").getAsString());
        }
    }

    @Test
    void binaryFrameClosesWith1003() {
        try (TestServer server = TestServer.start(); TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.sendFrame(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
            assertEquals(CloseCodes.UNSUPPORTED_DATA, alice.awaitCloseCode());
        }
    }

    @Test
    void missingOrInvalidUserGets400BeforeTheUpgrade() {
        try (TestServer server = TestServer.start()) {
            for (String query : new String[] {"/ws", "/ws?user=", "/ws?user=a%20b", "/ws?user=" + "x".repeat(65),
                    "/ws?user=%3Cscript%3E", "/ws?user=a&user=b"}) {
                WebSocketClientHandshakeException refused = assertThrows(WebSocketClientHandshakeException.class,
                        () -> TestClient.tryConnect(server.port(), query, h -> { }), query);
                assertEquals(400, refused.response().status().code(), query);
            }
        }
    }

    @Test
    void foreignOriginGets403AndTheSameHostIsAllowed() {
        try (TestServer server = TestServer.start()) {
            WebSocketClientHandshakeException refused = assertThrows(WebSocketClientHandshakeException.class,
                    () -> TestClient.tryConnect(server.port(), "/ws?user=alice",
                            h -> h.set(HttpHeaderNames.ORIGIN, "https://evil.example")));
            assertEquals(403, refused.response().status().code());
            try (TestClient sameHost = TestClient.connect(server.port(), "/ws?user=alice",
                    h -> h.set(HttpHeaderNames.ORIGIN, "http://127.0.0.1:" + server.port()))) {
                sameHost.expect("welcome");
            }
        }
        try (TestServer server = TestServer.start(b -> b.originPolicy(
                OriginPolicy.of(java.util.List.of("https://chat.example.com"))));
             TestClient listed = TestClient.connect(server.port(), "/ws?user=alice",
                     h -> h.set(HttpHeaderNames.ORIGIN, "https://chat.example.com"))) {
            listed.expect("welcome");
        }
    }

    @Test
    void silentClientIsPingedThenClosedWith4001() throws Exception {
        try (TestServer server = TestServer.start(b -> b.pingInterval(Duration.ofMillis(200))
                .idleTimeout(Duration.ofMillis(700)));
             RawWebSocket silent = RawWebSocket.connect(server.port(), "/ws?user=silent")) {
            long start = System.nanoTime();
            RawWebSocket.Frame frame;
            boolean pinged = false;
            do {
                frame = silent.readFrame();
                pinged |= frame.opcode() == RawWebSocket.PING;
            } while (frame.opcode() != RawWebSocket.CLOSE);
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(pinged, "the server pings a silent client before closing it");
            assertEquals(CloseCodes.IDLE_TIMEOUT, frame.closeCode());
            assertTrue(elapsedMillis >= 600, "closed after " + elapsedMillis + " ms");
            assertEquals(1, server.chat().stats().idleDisconnects());
        }
    }

    @Test
    void clientAnsweringPingsStaysConnectedPastTheIdleTimeout() {
        try (TestServer server = TestServer.start(b -> b.pingInterval(Duration.ofMillis(200))
                .idleTimeout(Duration.ofMillis(500)));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            // Netty's client answers pings with pongs, as browsers do.
            assertFalse(alice.awaitClosed(Duration.ofMillis(1500)));
            alice.sendJson("type", "ping", "id", "alive");
            assertEquals("alive", alice.nextOfType("pong").get("id").getAsString());
        }
    }

    @Test
    void slowConsumerIsClosedWhileOthersKeepReceiving() {
        // 9 MB: more than the kernel buffers a stalled socket can hold (send buffer up to 4 MiB here), so the
        // server's own queue must pass the limit.
        int messages = 3000;
        String content = "y".repeat(3000);
        try (TestServer server = TestServer.start(b -> b.maxOutboundBytes(64 * 1024).maxContentChars(4000));
             TestClient sender = TestClient.connect(server.port(), "sender");
             TestClient reader = TestClient.connect(server.port(), "reader");
             TestClient stalled = TestClient.connect(server.port(), "stalled")) {
            stalled.expect("welcome");
            stalled.stopReading();
            reader.drain(Duration.ofMillis(200));
            for (int i = 0; i < messages; i++) {
                sender.sendJson("type", "msg", "room", "lobby", "content", i + ":" + content);
            }
            for (int i = 0; i < messages; i++) {
                String received = reader.nextOfType("msg").get("content").getAsString();
                assertEquals(Integer.toString(i), received.substring(0, received.indexOf(':')));
            }
            assertEquals(1, server.chat().stats().slowConsumerDisconnects());
            stalled.resumeReading();
            assertTrue(stalled.awaitClosed(TestClient.TIMEOUT), "the stalled client is disconnected");
        }
    }
}
