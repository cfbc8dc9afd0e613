package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void controlCharactersLineSeparatorsAndBidiOverridesAreEscaped() {
        assertEquals("a\\u000d\\u000aINFO forged", LogSafe.escape("a\r\nINFO forged"));
        assertEquals("\\u001b[31mred", LogSafe.escape("\u001b[31mred"));
        assertEquals("x\\u2028y\\u202ez", LogSafe.escape("x\u2028y\u202ez"));
        assertEquals("back\\u005cslash", LogSafe.escape("back\\slash"));
        assertEquals("plain text, ünïcode ok", LogSafe.escape("plain text, ünïcode ok"));
    }

    @Test
    void longValuesAreCut() {
        String escaped = LogSafe.escape("x".repeat(10_000));
        assertEquals(LogSafe.MAX_CHARS + 3, escaped.length());
        assertTrue(escaped.endsWith("..."));
    }
}
