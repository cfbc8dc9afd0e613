package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.ChatConfig;
import io.chatd.core.TrustedProxies;
import java.io.IOException;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs nginx with docs/nginx.conf in front of chatd and chats through it over wss://. Skipped when nginx is not
 * installed, unless CHATD_REQUIRE_NGINX=1 (scripts/test sets it after installing nginx).
 */
@Timeout(90)
class NginxProxyTest {

    @TempDir
    Path dir;

    @Test
    void chatThroughTheSampleNginxConfigOverWssWithForwardedAddresses() throws Exception {
        Nginx.require();
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        ChatServer chatd = ChatServer.start(ChatConfig.newBuilder()
                .trustedProxies(TrustedProxies.of(List.of("127.0.0.1")))
                .maxConnectionsPerIp(1)
                .build(), "127.0.0.1", 0, 1);
        int nginxPort = freePort();
        Process nginx = startNginx(nginxConfig(chatd.port(), nginxPort, certificate));
        try {
            awaitListening(nginxPort, nginx);
            String url = "wss://localhost:" + nginxPort + "/ws?user=";
            // Every client reaches chatd from nginx's 127.0.0.1; chatd counts the address nginx forwards.
            try (JdkWebSocket alice = JdkWebSocket.connect(url + "alice", certificate.clientContext(),
                         List.of("X-Forwarded-For", "203.0.113.5"));
                 JdkWebSocket bob = JdkWebSocket.connect(url + "bob", certificate.clientContext(),
                         List.of("X-Forwarded-For", "203.0.113.6"))) {
                alice.nextOfType("welcome");
                bob.nextOfType("welcome");
                bob.nextOfType("join");
                alice.send("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"via nginx\",\"id\":\"n1\"}");
                assertEquals("n1", alice.nextOfType("ack").get("id").getAsString());
                assertEquals("via nginx", bob.nextOfType("msg").get("content").getAsString());

                ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> JdkWebSocket.connect(url + "carol", certificate.clientContext(),
                                List.of("X-Forwarded-For", "203.0.113.5")));
                assertTrue(refused.getCause() instanceof WebSocketHandshakeException, refused.toString());
                assertEquals(429, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
            }
        } finally {
            nginx.destroy();
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
            chatd.shutdown(Duration.ofSeconds(5));
        }
    }

    private Path nginxConfig(int chatdPort, int nginxPort, SelfSignedCertificate certificate) throws IOException {
        return Nginx.config(dir, "docs/nginx.conf", nginxPort, certificate,
                "server 127.0.0.1:8080;", "server 127.0.0.1:" + chatdPort + ";");
    }

    private Process startNginx(Path config) throws IOException {
        return Nginx.start(dir, config);
    }

    private void awaitListening(int port, Process nginx) throws Exception {
        Nginx.awaitListening(dir, port, nginx);
    }

    private static int freePort() throws IOException {
        return Nginx.freePort();
    }
}
