package io.chatd.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A WebSocket client built on the JDK's {@link HttpClient}: an implementation independent of Netty, speaking
 * {@code wss://} with a given trust and offering subprotocols the way browsers do. Every wait has a timeout.
 */
final class JdkWebSocket implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final WebSocket socket;
    private final BlockingQueue<JsonObject> received;
    private final CompletableFuture<Integer> closeCode;

    private JdkWebSocket(WebSocket socket, BlockingQueue<JsonObject> received, CompletableFuture<Integer> closeCode) {
        this.socket = socket;
        this.received = received;
        this.closeCode = closeCode;
    }

    static JdkWebSocket connect(String uri, SSLContext tls, String... subprotocols) throws Exception {
        return connect(uri, tls, java.util.List.of(), subprotocols);
    }

    /** Connects with extra handshake headers given as alternating names and values. */
    static JdkWebSocket connect(String uri, SSLContext tls, java.util.List<String> headers, String... subprotocols)
            throws Exception {
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(TIMEOUT);
        if (tls != null) {
            client.sslContext(tls);
        }
        BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        WebSocket.Builder builder = client.build().newWebSocketBuilder().connectTimeout(TIMEOUT);
        for (int i = 0; i < headers.size(); i += 2) {
            builder.header(headers.get(i), headers.get(i + 1));
        }
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        StringBuilder partial = new StringBuilder();
        WebSocket socket = builder.buildAsync(URI.create(uri), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    received.add(JsonParser.parseString(partial.toString()).getAsJsonObject());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closeCode.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closeCode.complete(-1);
            }
        }).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return new JdkWebSocket(socket, received, closeCode);
    }

    String subprotocol() {
        return socket.getSubprotocol();
    }

    void send(String text) throws Exception {
        socket.sendText(text, true).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next frame of {@code type}, skipping others; fails after the timeout. */
    JsonObject nextOfType(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject json = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (json != null && type.equals(json.get("type").getAsString())) {
                return json;
            }
        }
        throw new AssertionError("no " + type + " frame within " + TIMEOUT);
    }

    int awaitCloseCode() throws Exception {
        return closeCode.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        socket.abort();
    }
}
