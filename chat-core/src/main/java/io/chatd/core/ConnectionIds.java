package io.chatd.core;

import java.security.SecureRandom;
import java.util.Base64;

/** Generates connection ids: random, so they reveal nothing about the server or the order of connections. */
final class ConnectionIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private ConnectionIds() {
    }

    /** 96 random bits, 16 URL-safe characters. */
    static String next() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return ENCODER.encodeToString(bytes);
    }
}
