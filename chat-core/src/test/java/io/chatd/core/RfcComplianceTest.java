package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
