package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Upgrade requests that are not RFC 6455 version 13 get a plain refusal, counted under its status. */
class UpgradeRequestTest {

    /** RFC 6455's sample key, whose accept value is known. */
    private static final String KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
    private static final String VERSION = "Sec-WebSocket-Version: 13";

    /** Sends an upgrade request for alice with exactly these header lines (and Host). */
    private static HandshakeProbe.Response send(TestServer server, String... headerLines) throws Exception {
        StringBuilder head = new StringBuilder("GET /ws?user=alice HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        return HandshakeProbe.sendRaw(server.port(), head.append("\r\n").toString());
    }

    @Test
    void anOlderProtocolVersionIsToldWhichOneTheServerSpeaks() throws Exception {
        try (TestServer server = TestServer.start()) {
            HandshakeProbe.Response refused = send(server, "Upgrade: websocket", "Connection: Upgrade", KEY,
                    "Sec-WebSocket-Version: 8");
            assertEquals(426, refused.status());
            assertEquals("13", refused.header("Sec-WebSocket-Version"));
            assertEquals("WebSocket version 13 required\n", refused.body());
            assertEquals(1, server.chat().stats().handshakes(ChatStats.HandshakeResult.UPGRADE_REQUIRED));
        }
    }

    @Test
    void aRequestWithoutItsKeyOrConnectionUpgradeIsABadRequest() throws Exception {
        try (TestServer server = TestServer.start()) {
            HandshakeProbe.Response noKey = send(server, "Upgrade: websocket", "Connection: Upgrade", VERSION);
            assertEquals(400, noKey.status());
            assertEquals("missing Sec-WebSocket-Key\n", noKey.body());
            HandshakeProbe.Response noConnectionUpgrade = send(server, "Upgrade: websocket",
                    "Connection: keep-alive", KEY, VERSION);
            assertEquals(400, noConnectionUpgrade.status());
            assertEquals("expected a WebSocket upgrade\n", noConnectionUpgrade.body());
            assertEquals(2, server.chat().stats().handshakes(ChatStats.HandshakeResult.BAD_REQUEST));
        }
    }

    @Test
    void aBrowsersConnectionHeaderListingUpgradeAmongOthersIsAccepted() throws Exception {
        try (TestServer server = TestServer.start()) {
            // Firefox sends "Connection: keep-alive, Upgrade".
            HandshakeProbe.Response accepted = send(server, "Upgrade: websocket", "Connection: keep-alive, Upgrade",
                    KEY, VERSION, "Sec-WebSocket-Protocol: x, chatd");
            assertEquals(101, accepted.status());
            assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accepted.header("Sec-WebSocket-Accept"));
            assertEquals("chatd", accepted.header("Sec-WebSocket-Protocol"));
        }
    }
}
