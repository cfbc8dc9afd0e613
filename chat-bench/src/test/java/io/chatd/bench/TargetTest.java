package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TargetTest {

    @Test
    void acceptsLoopbackTargets() {
        for (String url : new String[] {"ws://127.0.0.1:8080/ws", "ws://127.9.8.7:1/ws", "ws://[::1]:8080/ws",
                "ws://localhost:8080/ws", "WS://127.0.0.1/ws"}) {
            Target t = Target.parse(url);
            assertTrue(Target.isLoopback(t.address.getAddress()), url);
        }
    }

    @Test
    void refusesEverythingElse() {
        for (String url : new String[] {"ws://10.0.0.1:8080/ws", "ws://192.168.1.2/ws", "ws://8.8.8.8/ws",
                "ws://[2001:db8::1]:8080/ws", "ws://0.0.0.0:8080/ws", "ws://[::]:8080/ws",
                "ws://[::ffff:10.0.0.1]/ws", "wss://127.0.0.1/ws", "http://127.0.0.1/ws", "ws:///ws",
                "ws://user@127.0.0.1/ws", "not a url"}) {
            assertThrows(IllegalArgumentException.class, () -> Target.parse(url), url);
        }
    }

    @Test
    void buildsTheUpgradeRequest() {
        Target t = Target.parse("ws://127.0.0.1:18080/ws?x=1");
        assertEquals(18080, t.address.getPort());
        String request = new String(t.upgradeRequest("b7", "dGhlIHNhbXBsZSBub25jZQ=="), StandardCharsets.US_ASCII);
        assertTrue(request.startsWith("GET /ws?x=1&user=b7 HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n"), request);
        assertTrue(request.contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), request);
        assertTrue(request.endsWith("\r\n\r\n"));
        assertTrue(new String(Target.parse("ws://127.0.0.1:18080/ws").upgradeRequest("b1", "k"),
                StandardCharsets.US_ASCII).startsWith("GET /ws?user=b1 HTTP/1.1\r\n"));
    }
}
