package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The plain HTTP routes served next to the WebSocket endpoint. */
@Timeout(30)
class HttpEndpointsTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TestClient.TIMEOUT).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(TestClient.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthzCountsOpenConnections() throws Exception {
        try (TestServer server = TestServer.start()) {
            HttpResponse<String> empty = get(server.port(), "/healthz");
            assertEquals(200, empty.statusCode());
            assertEquals("application/json", empty.headers().firstValue("content-type").orElseThrow());
            JsonObject body = JsonParser.parseString(empty.body()).getAsJsonObject();
            assertEquals("ok", body.get("status").getAsString());
            assertEquals(0, body.get("connections").getAsInt());
            assertEquals("none", body.get("auth").getAsString(), "tells the web client no token is needed");
            try (TestClient a = TestClient.connect(server.port(), "a"); TestClient b = TestClient.connect(server.port(), "b")) {
                a.expect("welcome");
                b.expect("welcome");
                JsonObject two = JsonParser.parseString(get(server.port(), "/healthz").body()).getAsJsonObject();
                assertEquals(2, two.get("connections").getAsInt());
            }
        }
    }

    @Test
    void webClientIsServedAtTheRoot() throws Exception {
        try (TestServer server = TestServer.start(b -> b.serveWebClient(true))) {
            HttpResponse<String> index = get(server.port(), "/");
            assertEquals(200, index.statusCode());
            assertTrue(index.headers().firstValue("content-type").orElseThrow().startsWith("text/html"));
            assertTrue(index.body().contains("app.js"));
            assertEquals(200, get(server.port(), "/app.js").statusCode());
            assertEquals(200, get(server.port(), "/style.css").statusCode());
            for (String path : new String[] {"/", "/app.js", "/style.css"}) {
                String csp = get(server.port(), path).headers().firstValue("content-security-policy").orElseThrow();
                assertTrue(csp.contains("default-src 'self'") && csp.contains("connect-src 'self' ws: wss:")
                        && csp.contains("frame-ancestors 'none'"), path + ": " + csp);
            }
            assertFalse(index.body().contains("<script>") || index.body().contains("style="),
                    "nothing inline that the policy would block");
        }
    }

    @Test
    void unknownPathsAndPlainGetsOfTheWebSocketPathAreRefused() throws Exception {
        try (TestServer server = TestServer.start()) {
            assertEquals(404, get(server.port(), "/nope").statusCode());
            assertEquals(404, get(server.port(), "/").statusCode(), "web client disabled");
            assertEquals(404, get(server.port(), "/ws/extra?user=a").statusCode());
            assertEquals(400, get(server.port(), "/ws?user=alice").statusCode(), "no upgrade header");
        }
    }
}
