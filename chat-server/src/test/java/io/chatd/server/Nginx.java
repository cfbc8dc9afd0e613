package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs nginx with one of the sample configs in docs/, as the tests of those samples do. */
final class Nginx {

    static final Path BINARY = Path.of("/usr/sbin/nginx");

    private Nginx() {
    }

    /** Aborts the test when nginx is missing, unless CHATD_REQUIRE_NGINX=1 (scripts/test), which fails it. */
    static void require() {
        if (!Files.isExecutable(BINARY)) {
            if ("1".equals(System.getenv("CHATD_REQUIRE_NGINX"))) {
                fail("nginx is required (CHATD_REQUIRE_NGINX=1) but " + BINARY + " is missing");
            }
            Assumptions.abort("nginx is not installed");
        }
    }

    /**
     * The sample with only the machine-specific lines replaced (listen port, certificate, pid and log paths, and
     * the pairs of {@code upstreams} lines); each must be found, so the sample and its test stay in step.
     */
    static Path config(Path dir, String sample, int nginxPort, SelfSignedCertificate certificate,
                       String... upstreams) throws IOException {
        String config = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve(sample));
        config = replace(config, "worker_processes auto;", "worker_processes 1;");
        config = replace(config, "pid /run/nginx-chatd.pid;", "pid " + dir.resolve("nginx.pid") + ";");
        config = replace(config, "error_log /var/log/nginx/chatd-error.log warn;",
                "error_log " + dir.resolve("error.log") + " warn;");
        for (int i = 0; i < upstreams.length; i += 2) {
            config = replace(config, upstreams[i], upstreams[i + 1]);
        }
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
        assertTrue(config.contains(from), "the sample no longer contains: " + from);
        return config.replace(from, to);
    }

    static Process start(Path dir, Path config) throws IOException {
        return new ProcessBuilder(BINARY.toString(), "-p", dir.toString(), "-c", config.toString(),
                "-g", "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile())
                .start();
    }

    static void awaitListening(Path dir, int port, Process nginx) throws Exception {
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

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
