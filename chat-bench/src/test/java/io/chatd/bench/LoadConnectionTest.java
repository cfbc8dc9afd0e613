package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drives one {@link LoadConnection} through a scripted server conversation, without a network. */
class LoadConnectionTest {

    private static final class Events implements LoadContext.Listener {
        final List<String> log = new ArrayList<>();

        @Override
        public void handshakeDone(LoadConnection c, long nanos) {
            log.add("handshake");
        }

        @Override
        public void ready(LoadConnection c) {
            log.add("ready");
        }

        @Override
        public void failed(LoadConnection c, String reason) {
            log.add("failed: " + reason);
        }

        @Override
        public void closed(LoadConnection c, int code) {
            log.add("closed " + code);
        }
    }

    private static byte[] serverFrame(int opcode, byte[] payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x80 | opcode);
        b.writeByte(payload.length); // the test frames are short
        b.writeBytes(payload);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static byte[] text(String json) {
        return serverFrame(FrameParser.OP_TEXT, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void feed(EmbeddedChannel ch, byte[]... chunks) {
        for (byte[] chunk : chunks) {
            ch.writeInbound(Unpooled.wrappedBuffer(chunk));
        }
    }

    /** The next outbound client frame, unmasked: "opcode:payload". */
    private static String nextClientFrame(EmbeddedChannel ch) {
        ByteBuf f = ch.readOutbound();
        assertNotNull(f, "expected a frame from the client");
        try {
            int opcode = f.readUnsignedByte() & 0x0F;
            int len = f.readUnsignedByte();
            assertTrue((len & 0x80) != 0, "client frames are masked");
            byte[] key = new byte[4];
            f.readBytes(key);
            byte[] payload = new byte[len & 0x7F];
            f.readBytes(payload);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= key[i & 3];
            }
            return opcode + ":" + new String(payload, StandardCharsets.ISO_8859_1);
        } finally {
            f.release();
        }
    }

    private static String acceptFor(String request) throws Exception {
        String key = request.split("Sec-WebSocket-Key: ")[1].split("\r\n")[0];
        byte[] sha1 = MessageDigest.getInstance("SHA-1")
                .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
        return Base64.getEncoder().encodeToString(sha1);
    }

    @Test
    void upgradesJoinsMeasuresAnswersPingsAndReportsTheCloseCode() throws Exception {
        // Three connections in room "bench"; connections 0 and 1 send. We are connection 2, user b2.
        Topology topology = new Topology(Scenario.FANOUT, 3, 0, 2, "bench", 10);
        Events events = new Events();
        LoadContext context = new LoadContext(Targets.parse("ws://127.0.0.1:1/ws"), topology, new FrameWriter(60), events);
        Measurement m = new Measurement(0, Long.MAX_VALUE);
        context.current = m;
        LoadConnection c = new LoadConnection(context, 2);
        EmbeddedChannel ch = new EmbeddedChannel(c);
        c.connecting(ch, System.nanoTime());

        ByteBuf request = ch.readOutbound();
        String upgrade = request.toString(StandardCharsets.US_ASCII);
        request.release();
        assertTrue(upgrade.startsWith("GET /ws?user=b2 HTTP/1.1\r\n"), upgrade);

        // The 101, the welcome and our join notice arrive in one read, the notice split across two.
        String response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + acceptFor(upgrade) + "\r\n\r\n";
        byte[] welcome = text("{\"type\":\"welcome\",\"user\":\"b2\",\"session\":\"s\",\"rooms\":[]}");
        byte[] someoneElse = text("{\"type\":\"join\",\"room\":\"bench\",\"user\":\"b1\",\"ts\":1}");
        byte[] ours = text("{\"type\":\"join\",\"room\":\"bench\",\"user\":\"b2\",\"ts\":2}");
        ByteBuf first = Unpooled.buffer().writeBytes(response.getBytes(StandardCharsets.US_ASCII)).writeBytes(welcome);
        ch.writeInbound(first);
        assertEquals(List.of("handshake"), events.log);
        assertEquals("1:{\"type\":\"join\",\"room\":\"bench\"}", nextClientFrame(ch));
        feed(ch, someoneElse, java.util.Arrays.copyOf(ours, 10));
        assertFalse(c.isReady(), "another user's notice does not make us ready");
        feed(ch, java.util.Arrays.copyOfRange(ours, 10, ours.length));
        assertTrue(c.isReady());
        assertEquals(List.of("handshake", "ready"), events.log);

        long t = System.nanoTime();
        String msg = "{\"type\":\"msg\",\"room\":\"bench\",\"from\":\"b0\",\"content\":\"s=%d n=%d t=" + t
                + " pad=xx\",\"ts\":1,\"seq\":1}";
        feed(ch, text(String.format(msg, 0, 0)), text(String.format(msg, 0, 1)), text(String.format(msg, 1, 0)),
                text(String.format(msg, 0, 1)), // repeated
                text(String.format(msg, 0, 3)), // skipped 2
                text(String.format(msg, 7, 0))); // a sender we cannot hear
        assertEquals(5, m.received);
        assertEquals(1, m.duplicates);
        assertEquals(1, m.outOfOrder);
        assertEquals(1, m.foreign);
        assertEquals(5, m.latencyMicros.getTotalCount());

        feed(ch, serverFrame(FrameParser.OP_PING, "hb".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("10:hb", nextClientFrame(ch));

        feed(ch, serverFrame(FrameParser.OP_CLOSE, new byte[] {(byte) (4000 >> 8), (byte) (4000 & 0xFF)}));
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals(List.of("handshake", "ready", "closed 4000"), events.log);
        ch.finishAndReleaseAll();
    }

    @Test
    void sendsMaskedBenchMessagesWithItsSenderNumberAndSequence() throws Exception {
        // A private pair: connection 1 (b1) writes to b0, and is ready on its welcome (no room to join).
        Topology topology = new Topology(Scenario.PRIVATE, 2, 0, 0, "bench", 10);
        LoadContext context = new LoadContext(Targets.parse("ws://127.0.0.1:1/ws"), topology, new FrameWriter(40),
                new Events());
        LoadConnection c = new LoadConnection(context, 1);
        EmbeddedChannel ch = new EmbeddedChannel(c);
        c.connecting(ch, System.nanoTime());
        ByteBuf request = ch.readOutbound();
        String upgrade = request.toString(StandardCharsets.US_ASCII);
        request.release();
        assertFalse(c.sendBenchMessage(5), "not ready: nothing is sent");

        feed(ch, ("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + acceptFor(upgrade) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), text("{\"type\":\"welcome\",\"user\":\"b1\",\"rooms\":[]}"));
        assertTrue(c.isReady());
        assertTrue(c.sendBenchMessage(5));
        assertTrue(c.sendBenchMessage(6));
        assertTrue(ch.outboundMessages().isEmpty(), "written, not flushed: the generator flushes once per tick");
        c.flush();
        String pad = " pad=" + "x".repeat(40 - "s=1 n=0 t=5 pad=".length());
        assertEquals("1:{\"type\":\"private\",\"to\":\"b0\",\"content\":\"s=1 n=0 t=5" + pad + "\"}", nextClientFrame(ch));
        assertEquals("1:{\"type\":\"private\",\"to\":\"b0\",\"content\":\"s=1 n=1 t=6" + pad + "\"}", nextClientFrame(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void failsWhenTheServerRefusesTheUpgrade() {
        Topology topology = new Topology(Scenario.IDLE, 1, 0, 0, "bench", 10);
        Events events = new Events();
        LoadContext context = new LoadContext(Targets.parse("ws://127.0.0.1:1/ws"), topology, new FrameWriter(60), events);
        LoadConnection c = new LoadConnection(context, 0);
        EmbeddedChannel ch = new EmbeddedChannel(c);
        c.connecting(ch, System.nanoTime());
        ((ByteBuf) ch.readOutbound()).release();
        feed(ch, "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        ch.runPendingTasks();
        assertEquals(List.of("failed: upgrade refused: HTTP/1.1 400 Bad Request"), events.log);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }
}
