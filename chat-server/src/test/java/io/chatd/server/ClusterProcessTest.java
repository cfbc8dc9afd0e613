package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.TestClient;
import io.chatd.redis.RedisServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three chatd daemons, real processes, on one redis-server, behind nginx with docs/nginx-cluster.conf: one chat
 * whichever node a client lands on, and a node killed with SIGKILL has its users leave everywhere within 30 s.
 */
@Timeout(180)
class ClusterProcessTest {

    @TempDir
    Path dir;
    private RedisServer redis;
    private final List<Process> daemons = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();
    private Process nginx;

    @AfterEach
    void stopAll() throws Exception {
        clients.forEach(TestClient::close);
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        for (Process daemon : daemons) {
            daemon.destroy();
            if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void threeDaemonsBehindTheSampleNginxConfigServeOneChatAndAKilledNodesUsersLeaveWithin30Seconds()
            throws Exception {
        Nginx.require();
        redis = RedisServer.start(false);
        int[] ports = new int[3];
        for (int i = 0; i < 3; i++) {
            ports[i] = startDaemon("n" + (i + 1));
        }
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir);
        int nginxPort = Nginx.freePort();
        Path config = Nginx.config(dir, "docs/nginx-cluster.conf", nginxPort, certificate,
                "server 127.0.0.1:8081 ", "server 127.0.0.1:" + ports[0] + " ",
                "server 127.0.0.1:8082 ", "server 127.0.0.1:" + ports[1] + " ",
                "server 127.0.0.1:8083 ", "server 127.0.0.1:" + ports[2] + " ");
        nginx = Nginx.start(dir, config);
        Nginx.awaitListening(dir, nginxPort, nginx);

        // Through nginx, round robin: three clients, one per node, in one room with one numbering.
        String url = "wss://localhost:" + nginxPort + "/ws?user=";
        try (JdkWebSocket u0 = JdkWebSocket.connect(url + "u0", certificate.clientContext());
             JdkWebSocket u1 = JdkWebSocket.connect(url + "u1", certificate.clientContext());
             JdkWebSocket u2 = JdkWebSocket.connect(url + "u2", certificate.clientContext())) {
            for (JdkWebSocket u : List.of(u0, u1, u2)) {
                u.nextOfType("welcome");
                u.send("{\"type\":\"join\",\"room\":\"via-nginx\"}");
                u.nextOfType("join");
            }
            u0.send("{\"type\":\"msg\",\"room\":\"via-nginx\",\"content\":\"through nginx\",\"id\":\"n1\"}");
            long seq = u0.nextOfType("ack").get("seq").getAsLong();
            assertEquals(seq, u1.nextOfType("msg").get("seq").getAsLong());
            assertEquals(seq, u2.nextOfType("msg").get("seq").getAsLong());
        }

        // Directly on each node: bursts from all three, one contiguous numbering, each message once everywhere.
        List<TestClient> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestClient member = TestClient.connect(ports[i], "user" + i);
            clients.add(member);
            member.expect("welcome");
            member.sendJson("type", "join", "room", "ops");
            member.nextOfType("join");
            members.add(member);
        }
        for (TestClient m : members) {
            m.drain(Duration.ofMillis(500));
        }
        int perSender = 30;
        for (int i = 0; i < perSender; i++) {
            for (int s = 0; s < 3; s++) {
                members.get(s).sendJson("type", "msg", "room", "ops", "content", s + ":" + i, "id", s + "-" + i);
            }
        }
        Set<Long> everySeq = new HashSet<>();
        for (int s = 0; s < 3; s++) {
            Set<Long> seen = new HashSet<>();
            int[] nextOf = new int[3];
            int frames = 0;
            while (frames < 3 * perSender) {
                JsonObject f = members.get(s).next();
                String type = f.get("type").getAsString();
                if (type.equals("ack") || type.equals("msg")) {
                    frames++;
                    assertTrue(seen.add(f.get("seq").getAsLong()), () -> "twice: " + f);
                }
                if (type.equals("msg")) {
                    String[] content = f.get("content").getAsString().split(":");
                    int from = Integer.parseInt(content[0]);
                    assertTrue(from != s, "own message echoed");
                    assertEquals(nextOf[from]++, Integer.parseInt(content[1]), "per-sender order");
                }
            }
            if (s > 0) {
                assertEquals(everySeq, seen, "the same seqs on every node");
            }
            everySeq = seen;
        }
        long first = everySeq.stream().min(Long::compare).orElseThrow();
        assertEquals(first + 3 * perSender - 1, everySeq.stream().max(Long::compare).orElseThrow(), "contiguous");

        // SIGKILL: no goodbye. The others reap its heartbeat and tell the room.
        long killedAt = System.nanoTime();
        daemons.get(2).destroyForcibly().waitFor();
        for (TestClient survivor : members.subList(0, 2)) {
            JsonObject leave = awaitFrame(survivor, "leave", Duration.ofSeconds(30));
            assertEquals("user2", leave.get("user").getAsString());
        }
        assertTrue(System.nanoTime() - killedAt < Duration.ofSeconds(30).toNanos());
        members.get(0).sendJson("type", "who", "room", "ops");
        JsonObject who = members.get(0).nextOfType("who");
        assertEquals(2, who.get("count").getAsInt(), who::toString);
        assertFalse(who.get("users").toString().contains("user2"));
    }

    private static JsonObject awaitFrame(TestClient client, String type, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject f = client.poll(Duration.ofMillis(500));
            if (f != null && type.equals(f.get("type").getAsString())) {
                return f;
            }
        }
        throw new AssertionError("no " + type + " within " + within);
    }

    private int startDaemon(String nodeId) throws IOException {
        Process process = DaemonProcess.start(List.of("--host", "127.0.0.1", "--port", "0", "--no-web-client",
                "--default-room", "", "--redis", redis.uri(), "--node-id", nodeId, "--trust-proxy", "127.0.0.1"));
        daemons.add(process);
        return DaemonProcess.awaitListeningPort(process);
    }
}
