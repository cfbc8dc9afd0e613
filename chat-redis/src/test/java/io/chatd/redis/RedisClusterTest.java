package io.chatd.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.TestClient;
import io.chatd.core.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three chat-core nodes in this JVM on one real Redis, each with its own Lettuce client and its own keys' prefix
 * per test: the protocol's guarantees hold whichever node a client is on.
 */
class RedisClusterTest {

    private static RedisServer redis;
    private final List<TestServer> nodes = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start(false);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @BeforeEach
    void startNodes() {
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ":";
        for (int i = 1; i <= 3; i++) {
            String node = "n" + i;
            nodes.add(TestServer.start(b -> b.defaultRoom("").cluster(() -> new RedisCluster(redis.uri(), node,
                    prefix))));
        }
    }

    @AfterEach
    void stopNodes() {
        clients.forEach(TestClient::close);
        nodes.forEach(TestServer::close);
        nodes.forEach(n -> n.chat().close());
    }

    private TestClient connect(int node, String user) {
        TestClient client = TestClient.connect(nodes.get(node).port(), user);
        clients.add(client);
        client.expect("welcome");
        return client;
    }

    private static void join(TestClient client, String room) {
        client.sendJson("type", "join", "room", room);
        JsonObject join = client.nextOfType("join");
        assertEquals(room, join.get("room").getAsString());
    }

    @Test
    void aRoomHasOneNumberingAcrossNodesAndEveryMemberGetsEveryMessageOnceInSeqOrder() {
        List<TestClient> senders = new ArrayList<>();
        List<TestClient> all = new ArrayList<>();
        for (int node = 0; node < 3; node++) {
            TestClient sender = connect(node, "sender" + node);
            TestClient listener = connect(node, "listener" + node);
            join(sender, "burst");
            join(listener, "burst");
            senders.add(sender);
            all.add(sender);
            all.add(listener);
        }
        for (TestClient c : all) {
            c.drain(Duration.ofMillis(300)); // the others' join notices
        }
        int perSender = 50;
        for (int i = 0; i < perSender; i++) {
            for (int s = 0; s < senders.size(); s++) {
                senders.get(s).sendJson("type", "msg", "room", "burst", "content", s + ":" + i, "id", "m" + s + "-" + i);
            }
        }
        Map<Integer, Long> seqOfSender0 = new HashMap<>();
        Set<Long> ackedSeqs = new HashSet<>();
        for (int s = 0; s < senders.size(); s++) {
            TestClient sender = senders.get(s);
            long lastSeq = 0;
            List<Long> received = new ArrayList<>();
            int acks = 0;
            while (acks < perSender || received.size() < 2 * perSender) {
                JsonObject frame = sender.next();
                switch (frame.get("type").getAsString()) {
                    case "ack" -> {
                        acks++;
                        assertTrue(ackedSeqs.add(frame.get("seq").getAsLong()), "one seq per message: " + frame);
                    }
                    case "msg" -> {
                        assertFalse(frame.get("content").getAsString().startsWith(s + ":"), "own message echoed");
                        received.add(frame.get("seq").getAsLong());
                    }
                    default -> throw new AssertionError("unexpected " + frame);
                }
            }
            for (long seq : received) {
                assertTrue(seq > lastSeq, "seq order: " + received);
                lastSeq = seq;
            }
        }
        long first = ackedSeqs.stream().min(Long::compare).orElseThrow();
        assertEquals(3L * perSender, ackedSeqs.size());
        assertEquals(first + 3L * perSender - 1, ackedSeqs.stream().max(Long::compare).orElseThrow(),
                "contiguous seqs");
        // Listeners get all 150, contiguous, with each sender's messages in its order.
        for (int node = 0; node < 3; node++) {
            TestClient listener = all.get(2 * node + 1);
            long expected = first;
            int[] nextOf = new int[3];
            for (int n = 0; n < 3 * perSender; n++) {
                JsonObject m = listener.nextOfType("msg");
                assertEquals(expected++, m.get("seq").getAsLong(), "node " + node + " gap or repeat");
                String[] content = m.get("content").getAsString().split(":");
                int s = Integer.parseInt(content[0]);
                assertEquals(nextOf[s]++, Integer.parseInt(content[1]), "per-sender order");
            }
            listener.expectNothing(Duration.ofMillis(200));
        }
        seqOfSender0.clear();
    }
}
