package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Strict RFC 6455 behaviour of the stock Netty handlers as we configure them. */
@Timeout(30)
class RfcComplianceTest {

    private TestServer server;

    @BeforeEach
    void startServer() {
        server = TestServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void reservedBitsWithoutAnExtensionCloseWith1002AndNothingElse() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            ws.sendFrame(0x80 | 0x40 | RawWebSocket.TEXT, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
            assertEquals(CloseCodes.PROTOCOL_ERROR, readUntilClose(ws).closeCode());
            assertNoFurtherFrame(ws);
        }
    }

    @Test
    void invalidUtf8ClosesWith1007AndNothingElse() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            ws.sendFrame(0x80 | RawWebSocket.TEXT, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
            assertEquals(CloseCodes.INVALID_PAYLOAD, readUntilClose(ws).closeCode());
            assertNoFurtherFrame(ws);
        }
    }

    @Test
    void invalidUtf8InAFragmentedMessageClosesWith1007AndNothingElse() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            ws.sendFrame(RawWebSocket.TEXT, new byte[] {'{', '"'}); // first fragment, not final
            ws.sendFrame(0x80 /* continuation, final */, new byte[] {(byte) 0xC3, (byte) 0x28, '"', '}'});
            assertEquals(CloseCodes.INVALID_PAYLOAD, readUntilClose(ws).closeCode());
            assertNoFurtherFrame(ws);
        }
    }

    @Test
    void aCharacterSplitBetweenFragmentsIsText() throws IOException {
        byte[] message = "{\"type\":\"ping\",\"id\":\"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        int split = new String(message, StandardCharsets.UTF_8).indexOf('\u00e9') + 1; // between é's two bytes
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            ws.sendFrame(RawWebSocket.TEXT, Arrays.copyOfRange(message, 0, split));
            ws.sendFrame(0x80, Arrays.copyOfRange(message, split, message.length));
            String pong = "";
            while (!pong.contains("\"pong\"")) {
                pong = new String(ws.readFrame().payload(), StandardCharsets.UTF_8);
            }
            assertTrue(pong.contains("caf\u00e9"), pong);
        }
    }

    @Test
    void oversizedFrameClosesWith1009AndNothingElse() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            ws.sendFrame(0x80 | RawWebSocket.TEXT, new byte[70 * 1024]);
            assertEquals(CloseCodes.MESSAGE_TOO_BIG, readUntilClose(ws).closeCode());
            assertNoFurtherFrame(ws);
        }
    }

    @Test
    void clientCloseIsEchoedWithItsCode() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            ws.sendFrame(0x80 | RawWebSocket.CLOSE, new byte[] {0x03, (byte) 0xE8}); // 1000
            assertEquals(CloseCodes.NORMAL, readUntilClose(ws).closeCode());
            assertNoFurtherFrame(ws);
        }
    }

    @Test
    void closeCodesTheRfcForbidsOnTheWireAreAnsweredWith1002() throws IOException {
        for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 32768, 65535}) {
            try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                ws.sendFrame(0x80 | RawWebSocket.CLOSE, new byte[] {(byte) (code >> 8), (byte) code, 'x'});
                assertEquals(CloseCodes.PROTOCOL_ERROR, readUntilClose(ws).closeCode(), "close code " + code);
                assertNoFurtherFrame(ws);
            }
        }
    }

    @Test
    void validCloseCodesAreEchoed() throws IOException {
        for (int code : new int[] {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 4000,
                4999}) {
            try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                ws.sendFrame(0x80 | RawWebSocket.CLOSE, new byte[] {(byte) (code >> 8), (byte) code});
                assertEquals(code, readUntilClose(ws).closeCode(), "close code " + code);
                assertNoFurtherFrame(ws);
            }
        }
    }

    @Test
    void aCloseFrameWithAOneByteBodyOrAReasonThatIsNotUtf8GetsA1002() throws IOException {
        byte[][] bodies = {{0x03}, {0x03, (byte) 0xE8, (byte) 0xC3, (byte) 0x28}};
        for (byte[] body : bodies) {
            try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                ws.sendFrame(0x80 | RawWebSocket.CLOSE, body);
                assertEquals(CloseCodes.PROTOCOL_ERROR, readUntilClose(ws).closeCode(), "body of " + body.length);
                assertNoFurtherFrame(ws);
            }
        }
    }

    @Test
    void aClientStillSendingAfterAnOversizedFrameReadsTheCloseFrame() throws Exception {
        // Autobahn 9.4.1/9.5.4: closing with the client's data unread sends a reset, which can destroy the close
        // frame in flight. Several rounds, since the reset is a race.
        for (int round = 0; round < 5; round++) {
            try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                Thread writer = keepSending(ws, 0x80 | RawWebSocket.TEXT, new byte[70 * 1024]);
                assertEquals(CloseCodes.MESSAGE_TOO_BIG, readUntilClose(ws).closeCode(), "round " + round);
                writer.interrupt();
                writer.join();
            }
        }
    }

    @Test
    void aClientStillSendingAfterAnOversizedFragmentedMessageReadsTheCloseFrame() throws Exception {
        for (int round = 0; round < 5; round++) {
            try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                ws.sendFrame(RawWebSocket.TEXT, new byte[40 * 1024]); // first fragment, not final
                Thread writer = keepSending(ws, 0x00 /* continuation, not final */, new byte[40 * 1024]);
                assertEquals(CloseCodes.MESSAGE_TOO_BIG, readUntilClose(ws).closeCode(), "round " + round);
                writer.interrupt();
                writer.join();
            }
        }
    }

    @Test
    void aClientLeavingInTheMiddleOfAFragmentedMessageLogsNoWarning() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        root.addAppender(appender);
        try {
            for (int i = 0; i < 3; i++) {
                try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                    ws.sendFrame(RawWebSocket.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8));
                    ws.readFrame(); // the welcome: the connection is open and the fragment read
                }
            }
            // Garbage instead of a handshake, and a reset in the middle of a frame, are client behaviour too.
            try (Socket garbage = new Socket("127.0.0.1", server.port())) {
                garbage.getOutputStream().write("\u0016\u0003\u0001 not http\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                garbage.getInputStream().read();
            } catch (IOException expected) {
                // refused one way or another
            }
            try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
                ws.readFrame();
                ws.resetMidFrame();
            }
            TestClient.connect(server.port(), "bob").close(); // a later connection proves the server settled
            Thread.sleep(300);
        } finally {
            root.detachAppender(appender);
        }
        for (ILoggingEvent event : appender.list) {
            assertTrue(event.getLevel().toInt() < Level.WARN.toInt(), "client behaviour logged as " + event.getLevel()
                    + ": " + event.getFormattedMessage());
        }
    }

    /** A thread that sends {@code payload} frames until interrupted or the socket fails. */
    private static Thread keepSending(RawWebSocket ws, int firstByte, byte[] payload) {
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 200 && !Thread.currentThread().isInterrupted(); i++) {
                    ws.sendFrame(firstByte, payload);
                }
            } catch (IOException e) {
                // the server closed: expected
            }
        }, "keep-sending");
        writer.setDaemon(true);
        writer.start();
        return writer;
    }

    private static RawWebSocket.Frame readUntilClose(RawWebSocket ws) throws IOException {
        RawWebSocket.Frame frame;
        do {
            frame = ws.readFrame();
        } while (frame.opcode() != RawWebSocket.CLOSE);
        return frame;
    }

    /** After its close frame the server must close the socket, not send a second close frame. */
    private static void assertNoFurtherFrame(RawWebSocket ws) {
        assertThrows(IOException.class, () -> {
            int b = ws.input().read();
            if (b < 0) {
                throw new EOFException();
            }
        }, "the server sent more bytes after its close frame");
    }

    @SuppressWarnings("unused")
    private static final Class<?> RESET = SocketException.class; // a reset also counts as closed
}
