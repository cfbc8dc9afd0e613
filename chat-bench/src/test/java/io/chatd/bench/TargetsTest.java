package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TargetsTest {

    @Test
    void aCommaSeparatedListKeepsItsOrderAndAllowsSpacesAroundTheCommas() {
        Targets t = Targets.parse("ws://127.0.0.1:18080/ws, ws://127.0.0.1:18081/ws ,ws://[::1]:18082/chat");
        assertEquals(3, t.size());
        assertEquals(18080, t.of(0).address.getPort());
        assertEquals(18081, t.of(1).address.getPort());
        assertEquals(18082, t.of(2).address.getPort());
        assertEquals("/chat", t.of(2).pathAndQuery);
        assertEquals("ws://127.0.0.1:18080/ws,ws://127.0.0.1:18081/ws,ws://[::1]:18082/chat", t.toString());
        assertFalse(t.isIpv4(), "one IPv6 target: --source-addresses cannot apply");
    }

    @Test
    void oneUrlTakesEveryConnection() {
        Targets t = Targets.parse("ws://127.0.0.1:18080/ws");
        assertEquals(1, t.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(0, t.indexOf(i));
            assertSame(t.of(0), t.of(i));
        }
        assertTrue(t.isIpv4());
        assertEquals("ws://127.0.0.1:18080/ws", t.toString());
    }

    @Test
    void connectionIGoesToUrlIModN() {
        Targets t = Targets.parse("ws://127.0.0.1:1/ws,ws://127.0.0.1:2/ws,ws://127.0.0.1:3/ws");
        int[] perUrl = new int[3];
        for (int i = 0; i < 1000; i++) {
            assertEquals(i % 3, t.indexOf(i));
            assertEquals(i % 3 + 1, t.of(i).address.getPort());
            perUrl[t.indexOf(i)]++;
        }
        assertEquals(334, perUrl[0]);
        assertEquals(333, perUrl[1]);
        assertEquals(333, perUrl[2]);
    }

    @Test
    void oneRefusedUrlRefusesTheWholeListAndIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Targets.parse("ws://127.0.0.1:1/ws,ws://10.0.0.1:2/ws"));
        assertTrue(e.getMessage().contains("10.0.0.1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Targets.parse("ws://127.0.0.1:1/ws,wss://127.0.0.1:2/ws"));
    }

    @Test
    void emptyEntriesAreRefused() {
        for (String list : new String[] {"", " ", ",", "ws://127.0.0.1:1/ws,", ",ws://127.0.0.1:1/ws",
                "ws://127.0.0.1:1/ws,,ws://127.0.0.1:2/ws"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Targets.parse(list), list);
            assertTrue(e.getMessage().startsWith("empty URL"), e.getMessage());
        }
    }

    @Test
    void eachConnectionUpgradesWithTheHostAndPathOfItsOwnUrl() {
        Targets targets = Targets.parse("ws://127.0.0.1:18080/ws,ws://localhost:18081/other?x=1");
        Topology topology = new Topology(Scenario.IDLE, 4, 0, 0, "bench", 10);
        LoadContext context = new LoadContext(targets, topology, new FrameWriter(60), new LoadContext.Listener() {
            @Override
            public void handshakeDone(LoadConnection c, long nanos) {
            }

            @Override
            public void ready(LoadConnection c) {
            }

            @Override
            public void failed(LoadConnection c, String reason) {
            }

            @Override
            public void closed(LoadConnection c, int code) {
            }
        });
        String[] expected = {"GET /ws?user=b0 HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n",
                "GET /other?x=1&user=b1 HTTP/1.1\r\nHost: localhost:18081\r\n",
                "GET /ws?user=b2 HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n",
                "GET /other?x=1&user=b3 HTTP/1.1\r\nHost: localhost:18081\r\n"};
        for (int i = 0; i < 4; i++) {
            LoadConnection c = new LoadConnection(context, i);
            assertSame(targets.of(i), c.target);
            EmbeddedChannel ch = new EmbeddedChannel(c);
            c.connecting(ch, System.nanoTime());
            ByteBuf request = ch.readOutbound();
            String upgrade = request.toString(StandardCharsets.US_ASCII);
            request.release();
            assertTrue(upgrade.startsWith(expected[i]), upgrade);
            ch.finishAndReleaseAll();
        }
    }
}
