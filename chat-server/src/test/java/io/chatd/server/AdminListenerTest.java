package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.chatd.core.ChatConfig;
import io.chatd.core.CloseCodes;
import io.chatd.core.TestClient;
import io.chatd.core.store.MemoryMessageStore;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin listener over real sockets: Prometheus metrics, readiness and the authenticated admin API. */
@Timeout(60)
class AdminListenerTest {

    private static final String KEY = "0123456789abcdef0123456789abcdef-test-key";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ChatServer server;

    @BeforeEach
    void start() throws Exception {
        server = ChatServer.start(ChatConfig.newBuilder().serveWebClient(false).store(MemoryMessageStore::new)
                .maxContentChars(100).build(), "127.0.0.1", 0, 1);
        server.startAdmin("127.0.0.1", 0, KEY.getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        server.shutdown(Duration.ofSeconds(5));
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + path))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json");
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return http.send(request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    /** The value of one sample line of the exposition, e.g. {@code chatd_messages_total{type="room"}}. */
    private static double sample(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(exposition);
        assertTrue(m.find(), series + " in\n" + exposition);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void metricsCountWhatHappenedOnTheWire() throws Exception {
        int port = server.port();
        try (TestClient alice = TestClient.connect(port, "alice"); TestClient bob = TestClient.connect(port, "bob")) {
            alice.expect("welcome");
            bob.expect("welcome");
            alice.sendJson("type", "msg", "room", "lobby", "content", "hi");
            bob.nextOfType("msg");
            alice.send("not json");
            alice.nextOfType("error");
            try {
                TestClient.tryConnect(port, "/ws", h -> { }).close(); // no user: refused with 401
            } catch (WebSocketClientHandshakeException expected) {
                // counted below
            }
            HttpResponse<String> metrics = get("/metrics", null); // no key needed for metrics
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String text = metrics.body();
            assertEquals(2, sample(text, "chatd_connections"));
            assertEquals(2, sample(text, "chatd_users"));
            assertEquals(1, sample(text, "chatd_rooms"));
            assertEquals(1, sample(text, "chatd_messages_total{type=\"room\"}"));
            assertEquals(0, sample(text, "chatd_messages_total{type=\"private\"}"));
            assertTrue(sample(text, "chatd_deliveries_total") >= 1);
            assertTrue(sample(text, "chatd_presence_frames_total") >= 2, "each connection's own join notice");
            assertEquals(2, sample(text, "chatd_handshakes_total{result=\"ok\"}"));
            assertTrue(sample(text, "chatd_handshakes_total{result=\"401\"}") + sample(text,
                    "chatd_handshakes_total{result=\"400\"}") >= 1, "the refused handshake");
            assertEquals(1, sample(text, "chatd_errors_total{code=\"bad_json\"}"));
            assertEquals(0, sample(text, "chatd_store_queue"));
            assertTrue(text.contains("chatd_store_commit_seconds_bucket{le="), "commit histogram");
            assertTrue(sample(text, "chatd_store_commit_seconds_count") >= 1, "the message was committed");
            assertTrue(text.contains("jvm_memory_used_bytes{"), "JVM binders");
            assertTrue(text.contains("jvm_gc_"), "GC binder");
            assertTrue(text.contains("process_cpu_usage"), "process binder");
            bob.close();
            alice.nextOfType("leave"); // bob left: his close was counted
        }
        String text = get("/metrics", null).body();
        assertTrue(sample(text, "chatd_disconnects_total{reason=\"client\"}") >= 1, text);
        assertEquals(0, sample(text, "chatd_disconnects_total{reason=\"slow_consumer\"}"));
    }

    @Test
    void theApiRefusesAMissingOrWrongKeyWith401() throws Exception {
        assertEquals(401, get("/api/rooms", null).statusCode());
        HttpResponse<String> wrong = get("/api/rooms", KEY.substring(1) + "x");
        assertEquals(401, wrong.statusCode());
        assertEquals("unauthorized", json(wrong).get("code").getAsString());
        assertEquals("Bearer", wrong.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(200, get("/api/rooms", KEY).statusCode());
    }

    @Test
    void publishReachesTheRoomAndAnswersItsSeq() throws Exception {
        try (TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.expect("welcome");
            HttpResponse<String> published = post("/api/publish", KEY,
                    "{\"room\":\"lobby\",\"from\":\"Deploy Bot\",\"content\":\"deploy finished\"}");
            assertEquals(200, published.statusCode(), published.body());
            long seq = json(published).get("seq").getAsLong();
            assertTrue(seq > 0);
            JsonObject msg = alice.nextOfType("msg");
            assertEquals("Deploy Bot", msg.get("from").getAsString());
            assertEquals("deploy finished", msg.get("content").getAsString());
            assertEquals(seq, msg.get("seq").getAsLong());

            HttpResponse<String> sent = post("/api/private", KEY,
                    "{\"from\":\"ops\",\"to\":\"alice\",\"content\":\"your export is ready\"}");
            assertEquals(200, sent.statusCode(), sent.body());
            assertFalse(json(sent).get("stored").getAsBoolean());
            JsonObject priv = alice.nextOfType("private");
            assertEquals("your export is ready", priv.get("content").getAsString());
            assertEquals(json(sent).get("seq").getAsLong(), priv.get("seq").getAsLong());
        }
        HttpResponse<String> offline = post("/api/private", KEY,
                "{\"from\":\"ops\",\"to\":\"carol\",\"content\":\"kept for later\"}");
        assertEquals(200, offline.statusCode(), offline.body());
        assertTrue(json(offline).get("stored").getAsBoolean());
    }

    @Test
    void badInputGets400InTheWebSocketErrorVocabulary() throws Exception {
        HttpResponse<String> notJson = post("/api/publish", KEY, "{room");
        assertEquals(400, notJson.statusCode());
        assertEquals("bad_json", json(notJson).get("code").getAsString());
        HttpResponse<String> badRoom = post("/api/publish", KEY, "{\"room\":\"no spaces\",\"from\":\"x\",\"content\":\"y\"}");
        assertEquals(400, badRoom.statusCode());
        assertEquals("invalid", json(badRoom).get("code").getAsString());
        HttpResponse<String> missing = post("/api/private", KEY, "{\"from\":\"x\",\"content\":\"y\"}");
        assertEquals("invalid", json(missing).get("code").getAsString());
        HttpResponse<String> tooLong = post("/api/publish", KEY,
                "{\"room\":\"lobby\",\"from\":\"x\",\"content\":\"" + "y".repeat(101) + "\"}");
        assertEquals(400, tooLong.statusCode());
        assertEquals("too_long", json(tooLong).get("code").getAsString());
        HttpResponse<String> badCode = post("/api/users/alice/disconnect", KEY, "{\"code\":1000}");
        assertEquals(400, badCode.statusCode());
        assertEquals("invalid", json(badCode).get("code").getAsString());
        assertEquals(404, get("/api/nothing", KEY).statusCode());
    }

    @Test
    void roomsListMembersAndDisconnectClosesEveryConnectionOfTheUser() throws Exception {
        int port = server.port();
        try (TestClient alice1 = TestClient.connect(port, "alice"); TestClient alice2 = TestClient.connect(port, "alice");
             TestClient bob = TestClient.connect(port, "bob")) {
            alice1.expect("welcome");
            alice2.expect("welcome");
            bob.expect("welcome");
            bob.sendJson("type", "msg", "room", "lobby", "content", "one", "id", "m1");
            bob.nextOfType("ack");

            JsonObject rooms = json(get("/api/rooms", KEY));
            assertEquals(1, rooms.getAsJsonArray("rooms").size(), rooms.toString());
            JsonObject lobby = rooms.getAsJsonArray("rooms").get(0).getAsJsonObject();
            assertEquals("lobby", lobby.get("room").getAsString());
            assertEquals(2, lobby.get("users").getAsInt());

            JsonObject page = json(get("/api/rooms/lobby?limit=1", KEY));
            assertEquals(1, page.get("lastSeq").getAsLong());
            assertEquals("alice", page.getAsJsonArray("users").get(0).getAsString());
            assertTrue(page.get("more").getAsBoolean());
            JsonObject next = json(get("/api/rooms/lobby?limit=1&after=alice", KEY));
            assertEquals("bob", next.getAsJsonArray("users").get(0).getAsString());
            assertFalse(next.get("more").getAsBoolean());

            HttpResponse<String> closed = post("/api/users/alice/disconnect", KEY,
                    "{\"code\":4100,\"reason\":\"account suspended\"}");
            assertEquals(200, closed.statusCode(), closed.body());
            assertEquals(2, json(closed).get("closed").getAsInt());
            assertEquals(4100, alice1.awaitCloseCode());
            assertEquals(4100, alice2.awaitCloseCode());
            assertTrue(bob.channel().isActive());
            HttpResponse<String> byDefault = post("/api/users/bob/disconnect", KEY, "");
            assertEquals(1, json(byDefault).get("closed").getAsInt());
            assertEquals(CloseCodes.POLICY_VIOLATION, bob.awaitCloseCode());
        }
        HttpResponse<String> metrics = get("/metrics", null);
        assertEquals(3, sample(metrics.body(), "chatd_disconnects_total{reason=\"admin\"}"));
    }

    @Test
    void readyzAnswersOnBothListenersAndTurns503WhenDraining() throws Exception {
        assertEquals(200, get("/readyz", null).statusCode());
        HttpResponse<String> publicReady = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, publicReady.statusCode());
        server.chat().startDraining();
        assertEquals(503, get("/readyz", null).statusCode());
        HttpResponse<String> draining = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, draining.statusCode());
        assertEquals(200, get("/healthz", null).statusCode(), "liveness is not readiness");
    }
}
