package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameWriterTest {

    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    private static String unmask(ByteBuf frame, int expectedOpcode) {
        return new String(unmaskBytes(frame, expectedOpcode), StandardCharsets.UTF_8);
    }

    /** Unmasks a client frame the way a server does; returns the payload. */
    private static byte[] unmaskBytes(ByteBuf frame, int expectedOpcode) {
        assertEquals(0x80 | expectedOpcode, frame.readUnsignedByte());
        int b1 = frame.readUnsignedByte();
        assertTrue((b1 & 0x80) != 0, "client frames must be masked");
        int len = b1 & 0x7F;
        if (len == 126) {
            len = frame.readUnsignedShort();
        } else if (len == 127) {
            len = (int) frame.readLong();
        }
        byte[] key = new byte[4];
        frame.readBytes(key);
        byte[] payload = new byte[len];
        frame.readBytes(payload);
        assertEquals(0, frame.readableBytes());
        for (int i = 0; i < len; i++) {
            payload[i] ^= key[i & 3];
        }
        return payload;
    }

    @Test
    void writesAPaddedBenchMessage() {
        String head = "{\"type\":\"msg\",\"room\":\"bench\",\"content\":\"";
        FrameWriter w = new FrameWriter(60);
        ByteBuf frame = w.benchMessage(ALLOC, MessageScanner.ascii(head + "s=3 n="), head.length(), 1234,
                987654321012L, MessageScanner.ascii("\"}"), 0x1234abcd);
        try {
            String json = unmask(frame, FrameParser.OP_TEXT);
            String content = json.substring(head.length(), json.length() - 2);
            assertTrue(content.startsWith("s=3 n=1234 t=987654321012 pad=x"), content);
            assertEquals(60, content.length());
            assertTrue(json.endsWith("x\"}"));
        } finally {
            frame.release();
        }
    }

    @Test
    void skipsPaddingWhenTheNumbersFillTheSize() {
        String head = "{\"content\":\"";
        FrameWriter w = new FrameWriter(5);
        ByteBuf frame = w.benchMessage(ALLOC, MessageScanner.ascii(head + "s=0 n="), head.length(), 7, -42,
                MessageScanner.ascii("\"}"), 0);
        try {
            assertEquals("{\"content\":\"s=0 n=7 t=-42\"}", unmask(frame, FrameParser.OP_TEXT));
        } finally {
            frame.release();
        }
    }

    @Test
    void masksLongFramesAndControlFrames() {
        FrameWriter w = new FrameWriter(4096);
        String text = "z".repeat(1000);
        ByteBuf frame = w.text(ALLOC, MessageScanner.ascii(text), 0xdeadbeef);
        ByteBuf close = w.close(ALLOC, 1000, 0x01020304);
        try {
            assertEquals(text, unmask(frame, FrameParser.OP_TEXT));
            byte[] payload = unmaskBytes(close, FrameParser.OP_CLOSE);
            assertEquals(2, payload.length);
            assertEquals(1000, ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF));
        } finally {
            frame.release();
            close.release();
        }
    }

    @Test
    void writesDecimals() {
        byte[] b = new byte[32];
        for (long v : new long[] {0, 9, 10, 1234567890123L, -1, Long.MAX_VALUE}) {
            int end = FrameWriter.putLong(b, 3, v);
            assertEquals(Long.toString(v), new String(b, 3, end - 3, StandardCharsets.US_ASCII));
        }
    }
}
