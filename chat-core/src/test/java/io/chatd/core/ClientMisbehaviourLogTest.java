package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Whatever a client does to its own connection is logged at DEBUG at most: any client can repeat it, and a WARN
 * or ERROR per connection would let it flood the log and bury the lines an operator needs.
 */
@Timeout(30)
class ClientMisbehaviourLogTest {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger chatd = (Logger) LoggerFactory.getLogger("io.chatd");
    private Level previous;
    private TestServer server;

    @BeforeEach
    void capture() {
        appender.start();
        root.addAppender(appender);
        previous = chatd.getLevel();
        chatd.setLevel(Level.DEBUG);
        server = TestServer.start();
    }

    @AfterEach
    void release() {
        server.close();
        root.detachAppender(appender);
        chatd.setLevel(previous);
    }

    @Test
    void disconnectInTheMiddleOfAFragmentedMessageIsDebugOnly() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice")) {
            awaitConnections(1);
            ws.sendFrame(RawWebSocket.TEXT, "{\"type\":\"pi".getBytes(StandardCharsets.UTF_8)); // FIN not set
        }
        awaitConnections(0);
        assertNothingAboveDebug();
    }

    @Test
    void resetInTheMiddleOfAFragmentedMessageIsDebugOnly() throws Exception {
        RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice");
        awaitConnections(1);
        ws.sendFrame(RawWebSocket.TEXT, "{\"type\":\"pi".getBytes(StandardCharsets.UTF_8));
        ws.reset();
        awaitConnections(0);
        assertNothingAboveDebug();
    }

    @Test
    void resetInTheMiddleOfAFrameHeaderIsDebugOnly() throws Exception {
        RawWebSocket ws = RawWebSocket.connect(server.port(), "/ws?user=alice");
        awaitConnections(1);
        ws.sendRaw(new byte[] {(byte) 0x81, (byte) 0xFE, 0x10}); // a 16-bit length, half of it sent
        ws.reset();
        awaitConnections(0);
        assertNothingAboveDebug();
    }

    @Test
    void garbageBeforeTheHandshakeIsDebugOnly() throws Exception {
        sendAndClose(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xFC, 0x03, 0x03, 0x0D, 0x0A,
            0x0D, 0x0A}); // a TLS ClientHello's first bytes on the plain port
        sendAndClose("\u0000\u0001\u0002 garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertNothingAboveDebug();
    }

    @Test
    void malformedHttpIsDebugOnly() throws Exception {
        sendAndClose(("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        sendAndClose(("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        sendAndClose("GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertNothingAboveDebug();
    }

    @Test
    void resetDuringTheHandshakeIsDebugOnly() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write("GET /ws?user=alice HTTP/1.1\r\nHost: x\r\nUpgrade: websock"
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.setSoLinger(true, 0);
        }
        awaitConnections(0);
        Thread.sleep(200);
        assertNothingAboveDebug();
    }

    /** Sends the bytes, reads whatever the server answers until it closes, then closes. */
    private void sendAndClose(byte[] bytes) throws IOException, InterruptedException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            try {
                out.write(bytes);
                out.flush();
                socket.getInputStream().readAllBytes();
            } catch (IOException e) {
                // The server may reset a connection that sent too much: that is its answer.
            }
        }
        awaitConnections(0);
    }

    private void awaitConnections(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TestClient.TIMEOUT.toNanos();
        while (server.chat().connectionLimiter().count() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, server.chat().connectionLimiter().count());
    }

    private void assertNothingAboveDebug() throws InterruptedException {
        Thread.sleep(100); // a last exception may still be on its way through the pipeline
        List<String> loud = appender.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                // The handshake access lines are INFO by design, and rate-limited (ChatHttpHandler.logAccess).
                .filter(e -> !e.getLoggerName().equals("io.chatd.access"))
                .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage())
                .toList();
        assertTrue(loud.isEmpty(), () -> "client-triggered log lines above DEBUG: " + loud);
    }
}
