package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chatd.core.ChatConfig;
import io.chatd.core.TrustedProxies;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs nginx with docs/nginx.conf in front of chatd and chats through it over wss://. Skipped when nginx is not
 * installed, unless CHATD_REQUIRE_NGINX=1 (scripts/test sets it after installing nginx).
 */
@Timeout(90)
class NginxProxyTest {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");

    @TempDir
    Path dir;

    @Test
    void chatThroughTheSampleNginxConfigOverWssWithForwardedAddresses() throws Exception {
        if (!Files.isExecutable(NGINX)) {
            if ("1".equals(System.getenv("CHATD_REQUIRE_NGINX"))) {
                fail("nginx is required (CHATD_REQUIRE_NGINX=1) but " + NGINX + " is missing");
            }
            Assumptions.abort("nginx is not installed");
        }
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

    /** docs/nginx.conf with only the machine-specific lines replaced; each must be found, so the two stay in step. */
    private Path nginxConfig(int chatdPort, int nginxPort, SelfSignedCertificate certificate) throws IOException {
        Path sample = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/nginx.conf");
        String config = Files.readString(sample);
        config = replace(config, "worker_processes auto;", "worker_processes 1;");
        config = replace(config, "pid /run/nginx-chatd.pid;", "pid " + dir.resolve("nginx.pid") + ";");
        config = replace(config, "error_log /var/log/nginx/chatd-error.log warn;",
                "error_log " + dir.resolve("error.log") + " warn;");
        config = replace(config, "server 127.0.0.1:8080;", "server 127.0.0.1:" + chatdPort + ";");
        config = replace(config, "listen 443 ssl;", "listen 127.0.0.1:" + nginxPort + " ssl;");
        config = replace(config, "/etc/ssl/chatd/fullchain.pem", certificate.cert.toString());
        config = replace(config, "/etc/ssl/chatd/privkey.pem", certificate.key.toString());
        StringBuilder temp = new StringBuilder("http {\n");
        for (String kind : new String[] {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
            temp.append("    ").append(kind).append("_temp_path ").append(dir.resolve(kind)).append(";\n");
        }
        config = replace(config, "http {\n", temp.toString());
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, config);
        return file;
    }

    private static String replace(String config, String from, String to) {
        assertTrue(config.contains(from), "docs/nginx.conf no longer contains: " + from);
        return config.replace(from, to);
    }

    private Process startNginx(Path config) throws IOException {
        return new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-c", config.toString(),
                "-g", "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile())
                .start();
    }

    private void awaitListening(int port, Process nginx) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!nginx.isAlive()) {
                fail("nginx exited: " + Files.readString(dir.resolve("nginx.out")));
            }
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        fail("nginx did not listen on " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
