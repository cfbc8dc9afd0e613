package io.chatd.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.TestClient;
import io.chatd.core.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two nodes on a Redis that goes away: connections stay, sends are refused, and the cluster heals by itself. */
class RedisOutageTest {

    private RedisServer redis;
    private final List<TestServer> nodes = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();

    private void start(boolean persistent) throws Exception {
        redis = RedisServer.start(persistent);
        for (String node : List.of("a", "b")) {
            nodes.add(TestServer.start(b -> b.defaultRoom("").cluster(() -> new RedisCluster(redis.uri(), node,
                    RedisCluster.DEFAULT_PREFIX))));
        }
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(TestClient::close);
        nodes.forEach(TestServer::close);
        nodes.forEach(n -> n.chat().close());
        redis.close();
    }

    private TestClient member(int node, String user, String room) {
        TestClient client = TestClient.connect(nodes.get(node).port(), user);
        clients.add(client);
        client.expect("welcome");
        client.sendJson("type", "join", "room", room);
        client.nextOfType("join");
        return client;
    }

    /** The seqs of the {@code msg} frames {@code client} receives within {@code quiet} of silence. */
    private static List<Long> seqs(TestClient client, Duration quiet) {
        List<Long> seqs = new ArrayList<>();
        for (JsonObject f : client.drain(quiet)) {
            if ("msg".equals(f.get("type").getAsString())) {
                seqs.add(f.get("seq").getAsLong());
            }
        }
        return seqs;
    }

    private static void assertContiguous(List<Long> seqs) {
        for (int i = 1; i < seqs.size(); i++) {
            assertEquals(seqs.get(i - 1) + 1, seqs.get(i), () -> "gap or repeat in " + seqs);
        }
    }

    @Test
    void sendsAreRefusedWhileRedisIsAwayAndTheClusterWorksAgainWithNoGapWhenItReturns() throws Exception {
        start(true);
        TestClient alice = member(0, "alice", "ops");
        TestClient bob = member(1, "bob", "ops");
        alice.drain(Duration.ofMillis(300));
        bob.drain(Duration.ofMillis(300));
        alice.sendJson("type", "msg", "room", "ops", "content", "before", "id", "b1");
        long before = alice.expect("ack").get("seq").getAsLong();
        assertEquals(before, bob.expect("msg").get("seq").getAsLong());

        redis.stop();
        alice.sendJson("type", "msg", "room", "ops", "content", "during", "id", "d1");
        JsonObject refused = alice.nextOfType("error");
        assertEquals("store_failed", refused.get("code").getAsString(), refused::toString);
        assertTrue(alice.channel().isActive(), "the connection stays open");
        assertFalse(nodes.get(0).chat().isReady(), "/readyz says 503 while Redis is away");

        redis.start();
        // Back within a few seconds, by itself: Lettuce reconnects and subscribes again.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long seq = -1;
        for (int attempt = 0; seq < 0 && System.nanoTime() < deadline; attempt++) {
            alice.sendJson("type", "msg", "room", "ops", "content", "after", "id", "a" + attempt);
            JsonObject answer = alice.next();
            while (!"ack".equals(answer.get("type").getAsString()) && !"error".equals(answer.get("type").getAsString())) {
                answer = alice.next();
            }
            if ("ack".equals(answer.get("type").getAsString())) {
                seq = answer.get("seq").getAsLong();
            } else {
                Thread.sleep(200);
            }
        }
        assertEquals(before + 1, seq, "numbering continues where it was: the refused send took no seq");
        for (int i = 0; i < 20; i++) {
            alice.sendJson("type", "msg", "room", "ops", "content", "more " + i);
        }
        List<Long> atBob = seqs(bob, Duration.ofMillis(700));
        assertEquals(21, atBob.size(), atBob::toString);
        assertEquals(seq, atBob.get(0));
        assertContiguous(atBob);
    }

    @Test
    void messagesMissedWhileTheSubscriptionWasCutAreFilledFromTheHistoryInOrder() throws Exception {
        start(true);
        TestClient alice = member(0, "alice", "ops");
        TestClient bob = member(1, "bob", "ops");
        alice.drain(Duration.ofMillis(300));
        bob.drain(Duration.ofMillis(300));
        // Cut every PUB/SUB link while a burst is published: the nodes miss part of it, and must notice.
        for (int i = 0; i < 200; i++) {
            alice.sendJson("type", "msg", "room", "ops", "content", "m" + i);
            if (i == 50 || i == 120) {
                redis.call("CLIENT", "KILL", "TYPE", "pubsub");
            }
        }
        List<Long> atBob = seqs(bob, Duration.ofSeconds(3));
        assertEquals(200, atBob.size(), () -> "bob got " + atBob.size() + ": " + atBob);
        assertContiguous(atBob);
        assertTrue(nodes.get(1).chat().stats().clusterGapFilled() > 0, "the gap was read from the stream");
        assertEquals(0, nodes.get(1).chat().stats().clusterGapLost());
    }

    @Test
    void aRedisThatLostItsDataClosesEveryClientWith1012AndTheirResumeIsNotRecovered() throws Exception {
        start(false);
        TestClient alice = member(0, "alice", "ops");
        alice.sendJson("type", "msg", "room", "ops", "content", "before", "id", "b1");
        long since = alice.expect("ack").get("seq").getAsLong();
        String epoch = nodes.get(0).chat().epoch();

        redis.stop();
        redis.start(); // empty: no persistence
        assertEquals(1012, alice.awaitCloseCode());
        // Told first over what window to spread the reconnect: one connection on its node, so the shortest.
        JsonObject advice = alice.nextOfType("reconnect");
        assertEquals(500, advice.get("within").getAsLong());
        assertNotEquals(epoch, nodes.get(0).chat().epoch());
        // Each node notices at its next heartbeat, within 5 s.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!nodes.get(0).chat().epoch().equals(nodes.get(1).chat().epoch()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(nodes.get(0).chat().epoch(), nodes.get(1).chat().epoch());

        TestClient again = TestClient.connect(nodes.get(1).port(), "alice");
        clients.add(again);
        JsonObject welcome = again.expect("welcome");
        assertNotEquals(epoch, welcome.get("epoch").getAsString());
        again.send("{\"type\":\"join\",\"room\":\"ops\",\"since\":" + since + ",\"epoch\":\"" + epoch + "\"}");
        again.expect("join");
        assertFalse(again.expect("resume").get("recovered").getAsBoolean());
    }
}
