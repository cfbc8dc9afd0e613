package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A connection must upgrade within --handshake-timeout of its accept, however it trickles its request. */
class HandshakeDeadlineTest {

    private final ChatConfig config = ChatConfig.newBuilder().handshakeTimeout(Duration.ofSeconds(2)).build();

    private static EmbeddedChannel channelWith(HandshakeDeadline deadline) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime(); // the test moves the clock
        channel.pipeline().addLast(deadline);
        return channel;
    }

    @Test
    void aClientTricklingItsRequestIsClosedAtTheDeadline() {
        EmbeddedChannel channel = channelWith(new HandshakeDeadline(config));
        for (int i = 0; i < 3; i++) { // a byte every 600 ms: never idle, never done
            channel.advanceTimeBy(600, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'G'}));
            assertTrue(channel.isActive(), "open at " + (i + 1) * 600 + " ms");
        }
        channel.advanceTimeBy(199, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isActive(), "open at 1999 ms");
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertFalse(channel.isActive(), "closed at 2 s");
        channel.finishAndReleaseAll();
    }

    @Test
    void theUpgradeRemovesTheDeadlineAndItsTimer() {
        HandshakeDeadline deadline = new HandshakeDeadline(config);
        EmbeddedChannel channel = channelWith(deadline);
        channel.advanceTimeBy(1, TimeUnit.SECONDS);
        channel.pipeline().remove(deadline);
        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isActive());
        assertEquals(-1, channel.runScheduledPendingTasks(), "no timer left behind");
        channel.finishAndReleaseAll();
    }

    @Test
    void aServerClosesAnUnfinishedHandshakeAtTheDeadline() throws Exception {
        try (TestServer server = TestServer.start(b -> b.handshakeTimeout(Duration.ofMillis(300)));
             Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write("GET /ws?user=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            assertEquals(-1, in.read(), "closed without an answer");
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "not before the deadline");
        }
    }
}
