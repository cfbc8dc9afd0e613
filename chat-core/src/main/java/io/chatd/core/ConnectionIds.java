package io.chatd.core;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Connection ids: 96 random bits, so they reveal nothing about the server or the order of connections. A
 * {@link Connection} keeps them as a long and an int (12 bytes) rather than as their 16-character text (a String
 * and its array, 56 bytes), which it makes only when it is sent or logged.
 */
final class ConnectionIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private ConnectionIds() {
    }

    /** The first 64 random bits of a new id. */
    static long nextHigh() {
        return RANDOM.nextLong();
    }

    /** The last 32 random bits of a new id. */
    static int nextLow() {
        return RANDOM.nextInt();
    }

    /** The id's text: the 12 bytes, high first, in 16 URL-safe characters. */
    static String format(long high, int low) {
        return ENCODER.encodeToString(ByteBuffer.allocate(12).putLong(high).putInt(low).array()); // big-endian
    }
}
