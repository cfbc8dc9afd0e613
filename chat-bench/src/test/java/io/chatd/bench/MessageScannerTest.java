package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageScannerTest {

    /** Runs {@code check} on the JSON placed mid-buffer, so offsets other than 0 are exercised. */
    private interface Check {
        void run(ByteBuf buf, int from, int to);
    }

    private static void scan(String json, Check check) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeBytes(new byte[] {'#', '#', '#'});
            buf.writeBytes(bytes);
            buf.writeBytes(new byte[] {'#'});
            check.run(buf, 3, 3 + bytes.length);
        } finally {
            buf.release();
        }
    }

    @Test
    void readsTheType() {
        String[][] cases = {
                {"{\"type\":\"msg\",\"room\":\"r\"}", "1"},
                {"{\"type\":\"private\",\"from\":\"a\"}", "2"},
                {"{\"type\":\"join\",\"room\":\"r\",\"user\":\"b1\",\"ts\":1}", "3"},
                {"{\"type\":\"leave\"}", "4"},
                {"{\"type\":\"welcome\",\"user\":\"b1\"}", "5"},
                {"{\"type\":\"pong\",\"id\":\"x\"}", "6"},
                {"{\"type\":\"error\",\"code\":\"bad\"}", "7"},
                {"{\"type\":\"ack\",\"id\":\"1\"}", "8"},
                {"{\"type\":\"reconnect\",\"within\":9000}", "9"},
                {"{\"type\":\"read\",\"by\":\"a\"}", "0"},
                {"{\"type\":\"resume\",\"room\":\"r\"}", "0"},
                {"{\"type\":\"who\",\"users\":[]}", "0"},
                {"{\"type\":\"msgs\"}", "0"},
                {"{\"room\":\"r\",\"type\":\"msg\"}", "1"}, // not first: the slow path finds it
                {"{}", "0"},
        };
        for (String[] c : cases) {
            scan(c[0], (buf, from, to) -> assertEquals(Integer.parseInt(c[1]), MessageScanner.type(buf, from, to), c[0]));
        }
    }

    @Test
    void readsTheWindowOfAReconnectFrame() {
        MessageScanner.Fields f = new MessageScanner.Fields();
        scan("{\"type\":\"reconnect\",\"within\":12500}",
                (buf, from, to) -> assertEquals(12_500, MessageScanner.within(buf, from, to, f)));
        scan("{\"type\":\"reconnect\"}", (buf, from, to) -> assertEquals(-1, MessageScanner.within(buf, from, to, f)));
        scan("{\"type\":\"reconnect\",\"within\":\"soon\"}",
                (buf, from, to) -> assertEquals(-1, MessageScanner.within(buf, from, to, f)));
    }

    @Test
    void parsesTheBenchContentOfARoomMessage() {
        String json = "{\"type\":\"msg\",\"room\":\"bench\",\"from\":\"b3\","
                + "\"content\":\"s=3 n=1234 t=987654321012 pad=xxxxx\",\"ts\":1700000000000,\"seq\":42}";
        scan(json, (buf, from, to) -> {
            MessageScanner.Fields f = new MessageScanner.Fields();
            assertTrue(MessageScanner.content(buf, from, to, f));
            assertEquals(3, f.s);
            assertEquals(1234, f.n);
            assertEquals(987654321012L, f.t);
        });
    }

    @Test
    void acceptsANegativeClockAndNoPadding() {
        scan("{\"type\":\"private\",\"content\":\"s=0 n=0 t=-5\"}", (buf, from, to) -> {
            MessageScanner.Fields f = new MessageScanner.Fields();
            assertTrue(MessageScanner.content(buf, from, to, f));
            assertEquals(0, f.s);
            assertEquals(0, f.n);
            assertEquals(-5, f.t);
        });
    }

    @Test
    void rejectsContentNotWrittenByTheBench() {
        String[] others = {
                "{\"type\":\"msg\",\"content\":\"hello\"}",
                "{\"type\":\"msg\",\"content\":\"s=1 n=2\"}",
                "{\"type\":\"msg\",\"content\":\"s=1 n= t=3\"}",
                "{\"type\":\"msg\",\"content\":\"s=1 n=2 t=\"}",
                "{\"type\":\"msg\",\"room\":\"r\"}",
                "{\"type\":\"msg\",\"content\":\"s=1 n=2 t=12345678901234567890\"}",
        };
        for (String json : others) {
            scan(json, (buf, from, to) -> assertFalse(MessageScanner.content(buf, from, to, new MessageScanner.Fields()), json));
        }
    }

    @Test
    void comparesStringFields() {
        byte[] user = MessageScanner.ascii("\"user\":\"");
        scan("{\"type\":\"join\",\"room\":\"bench\",\"user\":\"b12\",\"ts\":1}", (buf, from, to) -> {
            assertTrue(MessageScanner.fieldEquals(buf, from, to, user, MessageScanner.ascii("b12")));
            assertFalse(MessageScanner.fieldEquals(buf, from, to, user, MessageScanner.ascii("b1")));
            assertFalse(MessageScanner.fieldEquals(buf, from, to, user, MessageScanner.ascii("b123")));
            assertTrue(MessageScanner.fieldEquals(buf, from, to, MessageScanner.ascii("\"room\":\""),
                    MessageScanner.ascii("bench")));
            assertFalse(MessageScanner.fieldEquals(buf, from, to, MessageScanner.ascii("\"to\":\""),
                    MessageScanner.ascii("b12")));
        });
    }
}
