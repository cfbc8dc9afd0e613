package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

/**
 * Encodes server-to-client text frames straight to bytes. Server frames are never masked (RFC 6455 5.1), so
 * the bytes of one frame are the same for every recipient: a broadcast encodes once and writes a
 * {@code retainedDuplicate()} to each member. The raw {@link ByteBuf} passes the WebSocket encoder
 * untouched, which is why no extension (compression) is ever negotiated.
 */
final class WebSocketFrames {

    private static final int FIN_TEXT = 0x81;

    private WebSocketFrames() {
    }

    static ByteBuf text(ByteBufAllocator alloc, CharSequence json) {
        int length = ByteBufUtil.utf8Bytes(json);
        int headerLength = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuf frame = alloc.buffer(headerLength + length);
        frame.writeByte(FIN_TEXT);
        if (length < 126) {
            frame.writeByte(length);
        } else if (length <= 0xFFFF) {
            frame.writeByte(126);
            frame.writeShort(length);
        } else {
            frame.writeByte(127);
            frame.writeLong(length);
        }
        ByteBufUtil.reserveAndWriteUtf8(frame, json, length);
        return frame;
    }
}
