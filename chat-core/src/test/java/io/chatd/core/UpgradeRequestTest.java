package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Upgrade requests that are not RFC 6455 version 13 get a plain refusal, counted under its status. */
class UpgradeRequestTest {

    private static String request(String... headerLines) {
        StringBuilder head = new StringBuilder("GET /ws?user=alice HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        return head.append("\r\n").toString();
    }

    @Test
    void anOlderProtocolVersionIsToldWhichOneTheServerSpeaks() throws Exception {
        try (TestServer server = TestServer.start()) {
            HandshakeProbe.Response refused = HandshakeProbe.sendRaw(server.port(), request("Upgrade: websocket",
                    "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8"));
            assertEquals(426, refused.status());
            assertEquals("13", refused.header("Sec-WebSocket-Version"));
            assertEquals("WebSocket version 13 required\n", refused.body());
            assertEquals(1, server.chat().stats().handshakes(ChatStats.HandshakeResult.UPGRADE_REQUIRED));
        }
    }

    @Test
    void aRequestWithoutItsKeyOrConnectionUpgradeIsABadRequest() throws Exception {
        try (TestServer server = TestServer.start()) {
            HandshakeProbe.Response noKey = HandshakeProbe.sendRaw(server.port(), request("Upgrade: websocket",
                    "Connection: Upgrade", "Sec-WebSocket-Version: 13"));
            assertEquals(400, noKey.status());
            assertEquals("missing Sec-WebSocket-Key\n", noKey.body());
            HandshakeProbe.Response noConnectionUpgrade = HandshakeProbe.sendRaw(server.port(), request(
                    "Upgrade: websocket", "Connection: keep-alive", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version: 13"));
            assertEquals(400, noConnectionUpgrade.status());
            assertEquals("expected a WebSocket upgrade\n", noConnectionUpgrade.body());
            assertEquals(2, server.chat().stats().handshakes(ChatStats.HandshakeResult.BAD_REQUEST));
        }
    }

    @Test
    void aBrowsersConnectionHeaderListingUpgradeAmongOthersIsAccepted() throws Exception {
        try (TestServer server = TestServer.start()) {
            // Firefox sends "Connection: keep-alive, Upgrade".
            HandshakeProbe.Response accepted = HandshakeProbe.sendRaw(server.port(), request("Upgrade: websocket",
                    "Connection: keep-alive, Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: x, chatd"));
            assertEquals(101, accepted.status());
            assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accepted.header("Sec-WebSocket-Accept"));
            assertEquals("chatd", accepted.header("Sec-WebSocket-Protocol"));
        }
    }
}
