import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Drives an unpacked distribution started by scripts/test-dist: connects a WebSocket client, scrapes /metrics,
 * publishes through the admin API and checks the client got the message. Run as a single-file program:
 * java scripts/DistSmoke.java PORT ADMIN_PORT KEY. Exits non-zero, saying why, on any failure.
 */
public class DistSmoke {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int adminPort = Integer.parseInt(args[1]);
        String key = args[2];
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?user=alice"),
                new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            frames.add(text.toString());
                            text.setLength(0);
                        }
                        socket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
                        closed.complete(code);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        expect(frames, "\"type\":\"welcome\"");

        String metrics = send(http, HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).GET(), 200);
        check(metrics.contains("\nchatd_connections 1") || metrics.contains("\nchatd_connections 1.0"),
                "chatd_connections 1 in /metrics");
        check(metrics.contains("jvm_memory_used_bytes"), "JVM metrics in /metrics");

        String answer = send(http, HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/publish"))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"room\":\"lobby\",\"from\":\"smoke\",\"content\":\"from the archive\"}")), 200);
        check(answer.matches("(?s)\\{\"seq\":[1-9][0-9]*\\}\\s*"), "publish answers its seq: " + answer);
        expect(frames, "from the archive");
        System.out.println("dist smoke: client connected, /metrics scraped, API publish delivered");
        // The script sends SIGTERM now; the client must get 1001.
        System.out.println("READY-FOR-SIGTERM");
        System.out.flush();
        Integer code = closed.get(30, TimeUnit.SECONDS);
        check(code == 1001, "1001 on SIGTERM, got " + code);
        System.out.println("dist smoke: 1001 on SIGTERM");
        ws.abort();
    }

    private static String send(HttpClient http, HttpRequest.Builder request, int status) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(response.statusCode() == status, request.build().uri() + " answered " + response.statusCode()
                + ": " + response.body());
        return response.body();
    }

    private static void expect(LinkedBlockingQueue<String> frames, String part) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String frame = frames.poll(100, TimeUnit.MILLISECONDS);
            if (frame != null && frame.contains(part)) {
                return;
            }
        }
        check(false, "a frame containing " + part);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("dist smoke FAILED: " + what);
            System.exit(1);
        }
    }
}
