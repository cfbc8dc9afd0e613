package io.chatd.bench;

import io.netty.buffer.ByteBuf;

/**
 * Splits server-to-client WebSocket frames (RFC 6455 5.2) straight out of a {@link ByteBuf}, handing each payload
 * to a {@link Sink} as an index range: no frame object, no copy. Server frames are never masked.
 */
final class FrameParser {

    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    /** Larger frames are refused: the chat server sends a few hundred bytes per message. */
    static final int MAX_PAYLOAD = 1 << 20;

    /** What {@link #parse} returns when the bytes break the protocol; the connection should be closed. */
    static final int PROTOCOL_ERROR = -1;

    /** Receives each complete frame; the payload is {@code buf[from, to)}, valid only during the call. */
    interface Sink {
        void onFrame(int opcode, boolean fin, ByteBuf buf, int from, int to);
    }

    private FrameParser() {
    }

    /**
     * Hands every complete frame in {@code in} to {@code sink} and moves the reader index past it; a trailing
     * partial frame is left unread for the next call.
     *
     * @return the number of frames parsed, or {@link #PROTOCOL_ERROR}
     */
    static int parse(ByteBuf in, Sink sink) {
        int frames = 0;
        while (true) {
            int start = in.readerIndex();
            int available = in.writerIndex() - start;
            if (available < 2) {
                return frames;
            }
            int b0 = in.getUnsignedByte(start);
            int b1 = in.getUnsignedByte(start + 1);
            if ((b0 & 0x70) != 0 || (b1 & 0x80) != 0) {
                return PROTOCOL_ERROR; // reserved bits (no extension was negotiated), or a masked server frame
            }
            int len7 = b1 & 0x7F;
            int header;
            long length;
            if (len7 < 126) {
                header = 2;
                length = len7;
            } else if (len7 == 126) {
                header = 4;
                if (available < header) {
                    return frames;
                }
                length = in.getUnsignedShort(start + 2);
            } else {
                header = 10;
                if (available < header) {
                    return frames;
                }
                length = in.getLong(start + 2);
            }
            if (length < 0 || length > MAX_PAYLOAD) {
                return PROTOCOL_ERROR;
            }
            if (available < header + length) {
                return frames;
            }
            int from = start + header;
            int to = from + (int) length;
            in.readerIndex(to); // before the callback, so a sink that closes the channel sees a consistent buffer
            sink.onFrame(b0 & 0x0F, (b0 & 0x80) != 0, in, from, to);
            frames++;
        }
    }
}
