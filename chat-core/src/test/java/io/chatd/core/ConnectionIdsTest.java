package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConnectionIdsTest {

    @Test
    void formatWritesTheNinetySixBitsHighFirstInSixteenUrlSafeCharacters() {
        String id = ConnectionIds.format(0x0102030405060708L, 0xF9FAFBFC);
        assertEquals(16, id.length());
        assertTrue(id.matches("[A-Za-z0-9_-]{16}"), id);
        byte[] bits = Base64.getUrlDecoder().decode(id);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, (byte) 0xF9, (byte) 0xFA, (byte) 0xFB, (byte) 0xFC}, bits);
    }

    @Test
    void idsOfNewConnectionsDifferAndStayTheSameForOneConnection() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            Connection connection = new Connection(null, "alice", null, null);
            assertEquals(connection.id(), connection.id());
            assertTrue(seen.add(connection.id()), "repeated id " + connection.id());
        }
    }
}
