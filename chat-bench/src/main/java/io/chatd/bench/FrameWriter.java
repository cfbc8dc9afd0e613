package io.chatd.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Encodes client-to-server WebSocket frames, which RFC 6455 requires to be masked. The bench's masks are fixed
 * per connection: masking exists against proxy cache poisoning, not for secrecy, and a loopback benchmark has
 * no proxy. Bench messages are assembled in one reusable scratch array, so building one costs a single pooled
 * buffer. Not thread-safe: one instance serves the one event loop.
 */
final class FrameWriter {

    /** Room for the JSON around the content, the numbers and the padding. */
    private static final int OVERHEAD = 512;

    private final byte[] scratch;
    /** Content length to pad bench messages to. */
    private final int contentSize;

    FrameWriter(int contentSize) {
        this.contentSize = contentSize;
        this.scratch = new byte[contentSize + OVERHEAD];
    }

    /**
     * A bench message: {@code head} is the JSON up to the content plus the content's fixed start
     * ({@code ..."content":"s=3 n=}) with the content starting at {@code contentStart}, then come the
     * numbers, the padding and {@code tail} (the closing {@code "}} and whatever else follows the content).
     * Content reads {@code s=3 n=1234 t=987654321012 pad=xxx}, padded to the configured size.
     */
    ByteBuf benchMessage(ByteBufAllocator alloc, byte[] head, int contentStart, long n, long t, byte[] tail,
                         int mask) {
        byte[] b = scratch;
        System.arraycopy(head, 0, b, 0, head.length);
        int p = putLong(b, head.length, n);
        b[p++] = ' ';
        b[p++] = 't';
        b[p++] = '=';
        p = putLong(b, p, t);
        int padding = contentSize - (p - contentStart) - 5;
        if (padding > 0) {
            b[p++] = ' ';
            b[p++] = 'p';
            b[p++] = 'a';
            b[p++] = 'd';
            b[p++] = '=';
            java.util.Arrays.fill(b, p, p + padding, (byte) 'x');
            p += padding;
        }
        System.arraycopy(tail, 0, b, p, tail.length);
        p += tail.length;
        return frame(alloc, FrameParser.OP_TEXT, b, p, mask);
    }

    /** A text frame holding {@code payload}. */
    ByteBuf text(ByteBufAllocator alloc, byte[] payload, int mask) {
        System.arraycopy(payload, 0, scratch, 0, payload.length);
        return frame(alloc, FrameParser.OP_TEXT, scratch, payload.length, mask);
    }

    /** A pong echoing a ping's payload {@code src[from, to)}, as RFC 6455 5.5.3 asks. */
    ByteBuf pong(ByteBufAllocator alloc, ByteBuf src, int from, int to, int mask) {
        int length = Math.min(to - from, 125); // control frames carry at most 125 bytes
        src.getBytes(from, scratch, 0, length);
        return frame(alloc, FrameParser.OP_PONG, scratch, length, mask);
    }

    /** A close frame with {@code code} and no reason. */
    ByteBuf close(ByteBufAllocator alloc, int code, int mask) {
        scratch[0] = (byte) (code >> 8);
        scratch[1] = (byte) code;
        return frame(alloc, FrameParser.OP_CLOSE, scratch, 2, mask);
    }

    /** Masks {@code payload[0, length)} in place and frames it; one buffer of the exact size. */
    static ByteBuf frame(ByteBufAllocator alloc, int opcode, byte[] payload, int length, int mask) {
        int header = length < 126 ? 6 : length <= 0xFFFF ? 8 : 14;
        ByteBuf out = alloc.buffer(header + length);
        out.writeByte(0x80 | opcode); // FIN: the bench never fragments
        if (length < 126) {
            out.writeByte(0x80 | length);
        } else if (length <= 0xFFFF) {
            out.writeByte(0x80 | 126);
            out.writeShort(length);
        } else {
            out.writeByte(0x80 | 127);
            out.writeLong(length);
        }
        out.writeInt(mask);
        for (int i = 0; i < length; i++) {
            payload[i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
        }
        out.writeBytes(payload, 0, length);
        return out;
    }

    /** Writes {@code v} in decimal at {@code p}; returns the index after it. */
    static int putLong(byte[] b, int p, long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                throw new IllegalArgumentException("out of range");
            }
            b[p++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) {
            digits++;
        }
        int end = p + digits;
        for (int i = end - 1; i >= p; i--) {
            b[i] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        }
        return end;
    }
}
