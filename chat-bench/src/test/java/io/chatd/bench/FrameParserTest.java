package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameParserTest {

    /** Collects frames as "opcode:payload". */
    private static final class Collect implements FrameParser.Sink {
        final List<String> frames = new ArrayList<>();

        @Override
        public void onFrame(int opcode, boolean fin, ByteBuf buf, int from, int to) {
            frames.add(opcode + (fin ? ":" : "~") + buf.toString(from, to - from, StandardCharsets.UTF_8));
        }
    }

    /** An unmasked server frame, as chat-core's WebSocketFrames writes it. */
    private static byte[] serverFrame(int opcode, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x80 | opcode);
        if (p.length < 126) {
            b.writeByte(p.length);
        } else if (p.length <= 0xFFFF) {
            b.writeByte(126).writeShort(p.length);
        } else {
            b.writeByte(127).writeLong(p.length);
        }
        b.writeBytes(p);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    @Test
    void parsesSeveralFramesAndKeepsASplitOneForLater() {
        String big = "x".repeat(300); // 16-bit length
        String huge = "y".repeat(70_000); // 64-bit length
        ByteBuf all = Unpooled.buffer();
        all.writeBytes(serverFrame(FrameParser.OP_TEXT, "{\"type\":\"msg\"}"));
        all.writeBytes(serverFrame(FrameParser.OP_PING, "hb"));
        all.writeBytes(serverFrame(FrameParser.OP_TEXT, big));
        all.writeBytes(serverFrame(FrameParser.OP_TEXT, huge));
        all.writeBytes(serverFrame(FrameParser.OP_CLOSE, ""));
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        all.release();

        Collect sink = new Collect();
        ByteBuf in = Unpooled.buffer();
        try {
            // Feed in pieces that cut through headers and payloads alike, as TCP may.
            int[] cuts = {1, 17, 19, 25, 320, 330, 40_000, bytes.length};
            int at = 0;
            int parsed = 0;
            for (int cut : cuts) {
                in.writeBytes(bytes, at, cut - at);
                at = cut;
                parsed += FrameParser.parse(in, sink);
                in.discardReadBytes();
            }
            assertEquals(5, parsed);
            assertEquals(0, in.readableBytes());
            assertEquals(List.of("1:{\"type\":\"msg\"}", "9:hb", "1:" + big, "1:" + huge, "8:"), sink.frames);
        } finally {
            in.release();
        }
    }

    @Test
    void leavesAPartialFrameUnread() {
        byte[] frame = serverFrame(FrameParser.OP_TEXT, "hello");
        ByteBuf in = Unpooled.wrappedBuffer(Arrays.copyOf(frame, frame.length - 1));
        try {
            Collect sink = new Collect();
            assertEquals(0, FrameParser.parse(in, sink));
            assertEquals(0, in.readerIndex());
            assertTrue(sink.frames.isEmpty());
        } finally {
            in.release();
        }
    }

    @Test
    void refusesMaskedServerFramesAndReservedBits() {
        ByteBuf masked = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, (byte) 0x81, 1, 2, 3, 4, 'a'});
        ByteBuf rsv = Unpooled.wrappedBuffer(new byte[] {(byte) 0xC1, 1, 'a'});
        try {
            assertEquals(FrameParser.PROTOCOL_ERROR, FrameParser.parse(masked, new Collect()));
            assertEquals(FrameParser.PROTOCOL_ERROR, FrameParser.parse(rsv, new Collect()));
        } finally {
            masked.release();
            rsv.release();
        }
    }

    @Test
    void refusesOversizedFrames() {
        ByteBuf in = Unpooled.buffer().writeByte(0x81).writeByte(127).writeLong(FrameParser.MAX_PAYLOAD + 1L);
        try {
            assertEquals(FrameParser.PROTOCOL_ERROR, FrameParser.parse(in, new Collect()));
        } finally {
            in.release();
        }
    }
}
