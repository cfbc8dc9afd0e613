package io.chatd.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.TestClient;
import io.chatd.core.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
    }

    @Test
    void aPrivateMessageReachesEveryConnectionOfItsRecipientOnEveryNode() {
        TestClient alice = connect(0, "alice");
        TestClient bobOnB = connect(1, "bob");
        TestClient bobOnC = connect(2, "bob");
        TestClient carol = connect(2, "carol");
        alice.sendJson("type", "private", "to", "bob", "content", "psst", "id", "p1");
        JsonObject ack = alice.expect("ack");
        assertFalse(ack.has("stored"));
        long seq = ack.get("seq").getAsLong();
        for (TestClient bob : List.of(bobOnB, bobOnC)) {
            JsonObject m = bob.expect("private");
            assertEquals("psst", m.get("content").getAsString());
            assertEquals(seq, m.get("seq").getAsLong());
        }
        // Read receipts cross nodes too: to alice, and to bob's other connection, not to the reader.
        bobOnB.send("{\"type\":\"read\",\"with\":\"alice\",\"seq\":" + seq + "}");
        assertEquals(seq, alice.expect("read").get("seq").getAsLong());
        assertEquals("bob", bobOnC.expect("read").get("by").getAsString());
        bobOnB.expectNothing(Duration.ofMillis(300));
        carol.expectNothing(Duration.ofMillis(100));
        // A seq beyond the conversation is refused, as on one node.
        bobOnC.send("{\"type\":\"read\",\"with\":\"alice\",\"seq\":" + (seq + 5) + ",\"id\":\"r1\"}");
        assertEquals("invalid", bobOnC.expect("error").get("code").getAsString());
    }

    @Test
    void aMessageStoredWhileOfflineIsDeliveredOnceOnTheNodeTheRecipientConnectsTo() {
        TestClient alice = connect(0, "alice");
        alice.sendJson("type", "private", "to", "dave", "content", "while you were out", "id", "p1");
        JsonObject ack = alice.expect("ack");
        assertTrue(ack.get("stored").getAsBoolean());
        TestClient dave = connect(2, "dave");
        JsonObject m = dave.expect("private");
        assertEquals("while you were out", m.get("content").getAsString());
        assertTrue(m.get("stored").getAsBoolean());
        dave.expectNothing(Duration.ofMillis(300));
        dave.close();
        TestClient daveAgain = connect(1, "dave");
        daveAgain.expectNothing(Duration.ofMillis(500)); // delivered once: it left the inbox
    }

    @Test
    void aResumeOnAnotherNodeReplaysWhatWasMissedWithNoGapAndNoRepeat() {
        TestClient alice = connect(0, "alice");
        join(alice, "dev");
        alice.sendJson("type", "msg", "room", "dev", "content", "one", "id", "a1");
        long since = alice.expect("ack").get("seq").getAsLong();
        String epoch = nodes.get(0).chat().epoch();
        alice.close();
        TestClient bob = connect(1, "bob");
        join(bob, "dev");
        for (int i = 0; i < 3; i++) {
            bob.sendJson("type", "msg", "room", "dev", "content", "missed " + i, "id", "b" + i);
            bob.expect("ack");
        }
        TestClient aliceOnC = connect(2, "alice");
        aliceOnC.send("{\"type\":\"join\",\"room\":\"dev\",\"since\":" + since + ",\"epoch\":\"" + epoch + "\"}");
        aliceOnC.expect("join");
        JsonObject resume = aliceOnC.expect("resume");
        assertTrue(resume.get("recovered").getAsBoolean(), resume::toString);
        assertEquals(3, resume.get("count").getAsInt());
        for (int i = 0; i < 3; i++) {
            JsonObject m = aliceOnC.expect("msg");
            assertEquals(since + 1 + i, m.get("seq").getAsLong());
            assertEquals("missed " + i, m.get("content").getAsString());
        }
        bob.sendJson("type", "msg", "room", "dev", "content", "live", "id", "b9");
        JsonObject live = aliceOnC.nextOfType("msg");
        assertEquals(since + 4, live.get("seq").getAsLong());
        assertEquals(epoch, nodes.get(2).chat().epoch(), "one epoch in the cluster");
        // History reads the same stream on every node.
        TestClient carol = connect(0, "carol");
        join(carol, "dev");
        carol.sendJson("type", "history", "room", "dev", "id", "h");
        JsonObject history = carol.nextOfType("history");
        assertEquals(5, history.getAsJsonArray("messages").size(), history::toString);
        assertEquals(since + 4, history.getAsJsonArray("messages").get(4).getAsJsonObject().get("seq").getAsLong());
    }

    @Test
    void aResendOnAnotherNodeGetsTheOriginalAckAndIsDeliveredOnce() {
        TestClient alice = connect(0, "alice");
        TestClient bob = connect(1, "bob");
        join(alice, "dev");
        join(bob, "dev");
        bob.drain(Duration.ofMillis(300));
        alice.drain(Duration.ofMillis(100));
        alice.sendJson("type", "msg", "room", "dev", "content", "hello", "id", "same");
        JsonObject ack = alice.expect("ack");
        assertEquals("hello", bob.expect("msg").get("content").getAsString());
        alice.close();
        TestClient aliceOnC = connect(2, "alice");
        join(aliceOnC, "dev");
        aliceOnC.sendJson("type", "msg", "room", "dev", "content", "hello", "id", "same");
        JsonObject again = aliceOnC.expect("ack");
        assertEquals(ack.get("seq").getAsLong(), again.get("seq").getAsLong());
        assertEquals(ack.get("ts").getAsLong(), again.get("ts").getAsLong());
        aliceOnC.sendJson("type", "msg", "room", "dev", "content", "other words", "id", "same");
        assertEquals("id_conflict", aliceOnC.expect("error").get("code").getAsString());
        aliceOnC.sendJson("type", "private", "to", "bob", "content", "hi", "id", "same");
        assertEquals("id_conflict", aliceOnC.expect("error").get("code").getAsString());
        for (JsonObject f : bob.drain(Duration.ofMillis(500))) {
            assertFalse("msg".equals(f.get("type").getAsString()), () -> "delivered twice: " + f);
        }
    }

    @Test
    void whoIsTheSameOnEveryNodeAndASecondTabOnAnotherNodeIsNoNewJoin() {
        TestClient alice = connect(0, "alice");
        TestClient bob = connect(1, "bob");
        join(alice, "dev");
        join(bob, "dev");
        assertEquals("bob", alice.nextOfType("join").get("user").getAsString());
        bob.drain(Duration.ofMillis(300)); // alice's join may reach bob's node after bob joined
        TestClient aliceTab2 = connect(2, "alice");
        join(aliceTab2, "dev");
        for (TestClient c : List.of(alice, bob)) {
            for (JsonObject f : c.drain(Duration.ofMillis(500))) {
                assertFalse("join".equals(f.get("type").getAsString()), () -> "second tab announced: " + f);
            }
        }
        for (TestClient c : List.of(alice, bob, aliceTab2)) {
            c.sendJson("type", "who", "room", "dev");
            JsonObject who = c.expect("who");
            assertEquals(2, who.get("count").getAsInt());
            assertEquals("[\"alice\",\"bob\"]", who.get("users").toString());
        }
        aliceTab2.close();
        alice.close();
        JsonObject leave = bob.nextOfType("leave");
        assertEquals("alice", leave.get("user").getAsString());
        bob.expectNothing(Duration.ofMillis(300)); // one leave, at the last tab
        bob.sendJson("type", "who", "room", "dev");
        assertEquals(1, bob.expect("who").get("count").getAsInt());
    }

    @Test
    void aUserOfflineEverywhereGetsUserOfflineWhenStorageIsOff() throws Exception {
        // Other nodes with storage off, on their own prefix.
        String prefix = "off" + UUID.randomUUID().toString().substring(0, 8) + ":";
        try (TestServer a = TestServer.start(b -> b.defaultRoom("").offlineMaxPerUser(0)
                .cluster(() -> new RedisCluster(redis.uri(), "a", prefix)));
             TestServer b2 = TestServer.start(b -> b.defaultRoom("").offlineMaxPerUser(0)
                .cluster(() -> new RedisCluster(redis.uri(), "b", prefix)))) {
            TestClient alice = TestClient.connect(a.port(), "alice");
            clients.add(alice);
            alice.expect("welcome");
            alice.sendJson("type", "private", "to", "bob", "content", "hi", "id", "p1");
            assertEquals("user_offline", alice.expect("error").get("code").getAsString());
            TestClient bob = TestClient.connect(b2.port(), "bob");
            clients.add(bob);
            bob.expect("welcome");
            alice.sendJson("type", "private", "to", "bob", "content", "hi", "id", "p1");
            assertEquals("ack", alice.expect("ack").get("type").getAsString());
            assertEquals("hi", bob.expect("private").get("content").getAsString());
            a.chat().close();
            b2.chat().close();
        }
    }

    @Test
    void aRoomPastThePresenceBoundGetsGatheredPresenceFramesCountedOverTheCluster() throws Exception {
        String prefix = "big" + UUID.randomUUID().toString().substring(0, 8) + ":";
        try (TestServer a = TestServer.start(b -> b.defaultRoom("").presenceNoticesMax(2)
                .presenceInterval(Duration.ofMillis(200)).cluster(() -> new RedisCluster(redis.uri(), "a", prefix)));
             TestServer b2 = TestServer.start(b -> b.defaultRoom("").presenceNoticesMax(2)
                .presenceInterval(Duration.ofMillis(200)).cluster(() -> new RedisCluster(redis.uri(), "b", prefix)))) {
            TestClient alice = TestClient.connect(a.port(), "alice");
            TestClient bob = TestClient.connect(b2.port(), "bob");
            TestClient carol = TestClient.connect(a.port(), "carol");
            TestClient dave = TestClient.connect(b2.port(), "dave");
            clients.addAll(List.of(alice, bob, carol, dave));
            for (TestClient c : List.of(alice, bob)) {
                c.expect("welcome");
                join(c, "big");
            }
            assertEquals("bob", alice.nextOfType("join").get("user").getAsString()); // 2 users: a notice
            for (TestClient c : List.of(carol, dave)) {
                c.expect("welcome");
                join(c, "big");
            }
            // 3 and 4 users: past the bound, gathered into presence frames with the cluster's count.
            for (TestClient member : List.of(alice, bob)) {
                List<String> joined = new ArrayList<>();
                int count = 0;
                while (count < 4) {
                    JsonObject presence = member.nextOfType("presence");
                    count = presence.get("count").getAsInt();
                    presence.getAsJsonArray("joined").forEach(u -> joined.add(u.getAsString()));
                }
                assertEquals(Set.of("carol", "dave"), new HashSet<>(joined));
            }
            a.chat().close();
            b2.chat().close();
        }
    }
}
