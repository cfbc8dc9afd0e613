package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.ChatConfig;
import io.netty.handler.ssl.OpenSsl;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --tls-cert}/{@code --tls-key}: https and wss with a certificate made at test time. */
@Timeout(60)
class TlsTest {

    @TempDir
    Path dir;

    @Test
    void chatOverWssBetweenTwoClients() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        ChatServer server = ChatServer.start(ChatConfig.newBuilder().build(), "127.0.0.1", 0, 1,
                Tls.serverContext(certificate.cert, certificate.key));
        try (JdkWebSocket alice = JdkWebSocket.connect("wss://localhost:" + server.port() + "/ws?user=alice",
                     certificate.clientContext());
             JdkWebSocket bob = JdkWebSocket.connect("wss://localhost:" + server.port() + "/ws?user=bob",
                     certificate.clientContext())) {
            alice.nextOfType("welcome");
            bob.nextOfType("welcome");
            bob.nextOfType("join");
            alice.send("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"over tls\",\"id\":\"t1\"}");
            assertEquals("t1", alice.nextOfType("ack").get("id").getAsString());
            assertEquals("over tls", bob.nextOfType("msg").get("content").getAsString());
        } finally {
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    void httpsServesHealthzAndAnUntrustingClientFailsTheHandshake() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        ChatServer server = ChatServer.start(ChatConfig.newBuilder().build(), "127.0.0.1", 0, 1,
                Tls.serverContext(certificate.cert, certificate.key));
        try {
            URI healthz = URI.create("https://localhost:" + server.port() + "/healthz");
            HttpResponse<String> ok = HttpClient.newBuilder().sslContext(certificate.clientContext()).build()
                    .send(HttpRequest.newBuilder(healthz).timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("\"status\":\"ok\""), ok.body());
            assertThrows(SSLHandshakeException.class, () -> HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(healthz).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        } finally {
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    void openSslIsUsedOnLinuxX86() {
        if (System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64")) {
            assertTrue(OpenSsl.isAvailable(), () -> "netty-tcnative did not load: " + OpenSsl.unavailabilityCause());
        }
    }

    @Test
    void unreadableKeyIsAConfigurationError() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tls.serverContext(certificate.cert, certificate.cert));
        assertTrue(e.getMessage().contains("--tls-key"), e.getMessage());
    }
}
