package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.StoreException;
import io.chatd.core.store.WriteBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** History, resume, offline private messages, idempotent sends and receipts, over real sockets (memory store). */
@Timeout(60)
class StoreProtocolTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    private static TestClient connect(TestServer server, String user) {
        TestClient client = TestClient.connect(server.port(), user);
        client.expect("welcome");
        return client;
    }

    private static TestClient joined(TestServer server, String user, String room) {
        TestClient client = connect(server, user);
        client.sendJson("type", "join", "room", room);
        client.nextOfType("join");
        return client;
    }

    private static long publish(TestClient client, String room, String content, String id) {
        client.sendJson("type", "msg", "room", room, "content", content, "id", id);
        JsonObject ack = client.nextOfType("ack");
        assertEquals(id, ack.get("id").getAsString());
        return ack.get("seq").getAsLong();
    }

    @Test
    void resumeDuringConcurrentPublishingHasNoGapNoDuplicateAndKeepsOrder() throws Exception {
        // A large outbound cap: what is tested is a gap-free replay, not the byte budget that bounds one (a slow
        // reconnect on a loaded machine must not turn this into recovered:false).
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").historySize(100_000)
                .maxOutboundBytes(16 * 1024 * 1024), 3)) {
            int publishers = 3;
            List<TestClient> senders = new ArrayList<>();
            for (int i = 0; i < publishers; i++) {
                senders.add(joined(server, "pub" + i, "busy"));
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong highestAcked = new AtomicLong();
            CountDownLatch done = new CountDownLatch(publishers);
            for (int i = 0; i < publishers; i++) {
                TestClient sender = senders.get(i);
                int n = i;
                Thread t = new Thread(() -> {
                    try {
                        for (int k = 0; !stop.get(); k++) {
                            // No id, hence no ack: the final send below tells the highest seq.
                            sender.sendJson("type", "msg", "room", "busy", "content", "p" + n + "-" + k);
                            Thread.sleep(1); // about 1000 messages/s each: the history must cover an absence

                        }
                        highestAcked.accumulateAndGet(publish(sender, "busy", "last", "end" + n), Math::max);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                });
                t.setDaemon(true);
                t.start();
            }
            List<Long> seen = new ArrayList<>();
            TestClient reader = joined(server, "reader", "busy");
            for (int round = 0; round < 4; round++) {
                // Read for a while, drop the connection, stay away while others publish, then resume.
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150);
                while (System.nanoTime() < until) {
                    JsonObject f = reader.poll(Duration.ofMillis(20));
                    if (f != null && "msg".equals(f.get("type").getAsString())) {
                        seen.add(f.get("seq").getAsLong());
                    }
                }
                reader.close();
                Thread.sleep(100);
                reader = connect(server, "reader");
                long since = seen.isEmpty() ? 0 : seen.get(seen.size() - 1);
                reader.send("{\"type\":\"join\",\"room\":\"busy\",\"since\":" + since + "}");
                reader.expect("join");
                JsonObject resume = reader.expect("resume");
                assertTrue(resume.get("recovered").getAsBoolean(), resume::toString);
                assertEquals(since, resume.get("since").getAsLong());
            }
            stop.set(true);
            assertTrue(done.await(20, TimeUnit.SECONDS));
            long last = highestAcked.get();
            while (seen.isEmpty() || seen.get(seen.size() - 1) < last) {
                JsonObject f = reader.next();
                if ("msg".equals(f.get("type").getAsString())) {
                    seen.add(f.get("seq").getAsLong());
                }
            }
            assertTrue(seen.size() > 100, "enough traffic to make the test mean something: " + seen.size());
            for (int i = 0; i < seen.size(); i++) {
                assertEquals(seen.get(0) + i, seen.get(i), "gap or duplicate at index " + i);
            }
            reader.close();
            senders.forEach(TestClient::close);
        }
    }

    @Test
    void resumePastTheRetainedHistoryReportsRecoveredFalseAndSendsWhatRemains() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").historySize(5));
             TestClient alice = joined(server, "alice", "r")) {
            for (int i = 1; i <= 20; i++) {
                publish(alice, "r", "m" + i, "c" + i);
            }
            try (TestClient bob = connect(server, "bob")) {
                bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":2}");
                bob.expect("join");
                JsonObject resume = bob.expect("resume");
                assertFalse(resume.get("recovered").getAsBoolean());
                assertEquals(5, resume.get("count").getAsInt());
                for (int seq = 16; seq <= 20; seq++) {
                    JsonObject msg = bob.expect("msg");
                    assertEquals(seq, msg.get("seq").getAsLong());
                    assertEquals("m" + seq, msg.get("content").getAsString());
                }
                // Caught up: live messages follow.
                publish(alice, "r", "live", "c21");
                assertEquals(21, bob.expect("msg").get("seq").getAsLong());
            }
            try (TestClient carol = connect(server, "carol")) {
                carol.send("{\"type\":\"join\",\"room\":\"r\",\"since\":18}");
                carol.expect("join");
                JsonObject resume = carol.expect("resume");
                assertTrue(resume.get("recovered").getAsBoolean());
                assertEquals(3, resume.get("count").getAsInt());
                assertEquals(19, carol.expect("msg").get("seq").getAsLong());
            }
        }
    }

    @Test
    void sinceOnTheDefaultRoomReplaysWhatCameBeforeTheJoinWithoutDuplicates() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("lobby"));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.expect("welcome");
            alice.expect("join");
            for (int i = 1; i <= 10; i++) {
                publish(alice, "lobby", "m" + i, "c" + i);
            }
            try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                bob.expect("welcome");
                bob.expect("join"); // joined live at seq 10
                publish(alice, "lobby", "m11", "c11");
                assertEquals(11, bob.expect("msg").get("seq").getAsLong());
                bob.send("{\"type\":\"join\",\"room\":\"lobby\",\"since\":4}");
                bob.expect("join");
                JsonObject resume = bob.expect("resume");
                assertTrue(resume.get("recovered").getAsBoolean());
                assertEquals(6, resume.get("count").getAsInt());
                for (int seq = 5; seq <= 10; seq++) {
                    assertEquals(seq, bob.expect("msg").get("seq").getAsLong());
                }
                publish(alice, "lobby", "m12", "c12");
                assertEquals(12, bob.expect("msg").get("seq").getAsLong());
                bob.expectNothing(QUIET);
            }
        }
    }

    @Test
    void roomSeqContinuesAfterTheRoomEmptied() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""))) {
            try (TestClient alice = joined(server, "alice", "r")) {
                assertEquals(1, publish(alice, "r", "one", "a"));
            }
            try (TestClient alice = joined(server, "alice", "r")) {
                assertEquals(2, publish(alice, "r", "two", "b"));
            }
        }
    }

    @Test
    void privateMessagesToAnOfflineUserAreStoredAndDeliveredInOrderOnConnect() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = connect(server, "alice")) {
            for (int i = 1; i <= 5; i++) {
                alice.sendJson("type", "private", "to", "bob", "content", "note " + i, "id", "p" + i);
                JsonObject ack = alice.expect("ack");
                assertTrue(ack.get("stored").getAsBoolean(), ack::toString);
                assertEquals(i, ack.get("seq").getAsLong());
            }
            try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                bob.expect("welcome");
                for (int i = 1; i <= 5; i++) {
                    JsonObject m = bob.expect("private");
                    assertEquals("note " + i, m.get("content").getAsString());
                    assertEquals(i, m.get("seq").getAsLong());
                    assertEquals("alice", m.get("from").getAsString());
                    assertTrue(m.get("stored").getAsBoolean());
                }
                bob.expectNothing(QUIET);
                // Online now: the next one is live, not stored.
                alice.sendJson("type", "private", "to", "bob", "content", "live", "id", "p6");
                assertFalse(alice.expect("ack").has("stored"));
                JsonObject live = bob.expect("private");
                assertEquals(6, live.get("seq").getAsLong());
                assertFalse(live.has("stored"));
            }
            try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                bob.expect("welcome");
                bob.expectNothing(QUIET); // delivered messages are not delivered again
            }
        }
    }

    @Test
    void aThousandLongStoredMessagesReachTheirUserInOrderWithoutASlowConsumerClose() {
        // 16 MB, sixteen times the outbound cap and more than the kernel's socket buffers take: written at once, they closed the connection with 4000 on every
        // reconnect, and since none was marked delivered, the user was locked out for good.
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").maxOutboundBytes(1024 * 1024));
             TestClient alice = connect(server, "alice")) {
            for (int i = 1; i <= 1000; i++) {
                alice.sendJson("type", "private", "to", "bob", "content", fourKiB(i), "id", "p" + i);
            }
            for (int i = 1; i <= 1000; i++) {
                assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean());
            }
            for (int attempt = 1; attempt <= 2; attempt++) {
                try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                    // A phone that is slow to start reading: the backlog waits for it instead of cutting it off.
                    bob.stopReading();
                    sleep(1000);
                    bob.resumeReading();
                    bob.expect("welcome");
                    int expected = attempt == 1 ? 1000 : 0;
                    for (int i = 1; i <= expected; i++) {
                        JsonObject frame = bob.next();
                        assertEquals("private", frame.get("type").getAsString(), "frame " + i + ": " + frame);
                        assertEquals(fourKiB(i), frame.get("content").getAsString());
                        assertEquals(i, frame.get("seq").getAsLong());
                        if (i == 300) { // and one that pauses in the middle
                            bob.stopReading();
                            sleep(500);
                            bob.resumeReading();
                        }
                    }
                    // Nothing more, no close: and on the next connect, nothing again (all marked delivered).
                    bob.sendJson("type", "ping", "id", "still-here");
                    assertEquals("still-here", bob.nextOfType("pong").get("id").getAsString());
                    sleep(300); // let the last page's delivery mark reach the store
                }
            }
        }
    }

    /** The longest content the server takes by default, numbered: 4096 code points, 16 KB of UTF-8. */
    private static String fourKiB(int i) {
        String prefix = i + ":";
        return prefix + "\uD83D\uDE00".repeat(4096 - prefix.length());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void offlineMessagesOverTheCapPushOutTheOldest() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").offlineMaxPerUser(3));
             TestClient alice = connect(server, "alice")) {
            for (int i = 1; i <= 5; i++) {
                alice.sendJson("type", "private", "to", "bob", "content", "n" + i, "id", "p" + i);
                alice.expect("ack");
            }
            try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                bob.expect("welcome");
                for (int i = 3; i <= 5; i++) {
                    assertEquals("n" + i, bob.expect("private").get("content").getAsString());
                }
                bob.expectNothing(QUIET);
            }
        }
    }

    @Test
    void aResentMessageReturnsTheOriginalAckAndIsDeliveredOnce() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = joined(server, "bob", "r")) {
            alice.drain(QUIET);
            alice.sendJson("type", "msg", "room", "r", "content", "once", "id", "same");
            JsonObject first = alice.expect("ack");
            alice.sendJson("type", "msg", "room", "r", "content", "once", "id", "same");
            JsonObject second = alice.expect("ack");
            assertEquals(first, second);
            assertEquals("once", bob.expect("msg").get("content").getAsString());
            bob.expectNothing(QUIET);

            // The id is the user's, not the connection's: another connection resending it gets the same ack.
            try (TestClient alice2 = joined(server, "alice", "r")) {
                alice2.sendJson("type", "msg", "room", "r", "content", "once", "id", "same");
                assertEquals(first, alice2.nextOfType("ack"));
            }
            alice.sendJson("type", "private", "to", "bob", "content", "dm", "id", "d1");
            JsonObject privateAck = alice.expect("ack");
            alice.sendJson("type", "private", "to", "bob", "content", "dm", "id", "d1");
            assertEquals(privateAck, alice.expect("ack"));
            assertEquals("dm", bob.expect("private").get("content").getAsString());
            bob.expectNothing(QUIET);
        }
    }

    @Test
    void aReusedIdWithOtherContentIsRefusedWithIdConflictAndTheConnectionGoesOn() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = joined(server, "bob", "r")) {
            alice.drain(QUIET);
            long seq = publish(alice, "r", "first", "c1");
            assertEquals("first", bob.expect("msg").get("content").getAsString());

            // A page reload that restarted its counter at c1: other content, same id.
            alice.sendJson("type", "msg", "room", "r", "content", "second", "id", "c1");
            JsonObject conflict = alice.expect("error");
            assertEquals("id_conflict", conflict.get("code").getAsString());
            assertEquals("c1", conflict.get("id").getAsString());
            // The same content to another target, and another type, conflict too.
            alice.sendJson("type", "join", "room", "s");
            alice.nextOfType("join");
            alice.sendJson("type", "msg", "room", "s", "content", "first", "id", "c1");
            assertEquals("id_conflict", alice.expect("error").get("code").getAsString());
            alice.sendJson("type", "private", "to", "bob", "content", "first", "id", "c1");
            assertEquals("id_conflict", alice.expect("error").get("code").getAsString());
            bob.expectNothing(QUIET);

            // The true resend still returns the original ack, and a new id goes through.
            alice.sendJson("type", "msg", "room", "r", "content", "first", "id", "c1");
            assertEquals(seq, alice.expect("ack").get("seq").getAsLong());
            assertEquals(seq + 1, publish(alice, "r", "second", "c2"));
            assertEquals("second", bob.expect("msg").get("content").getAsString());
        }
    }

    @Test
    void aMessageWithoutAnIdIsDeliveredButNeverAcked() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = joined(server, "bob", "r")) {
            alice.drain(QUIET);
            alice.sendJson("type", "msg", "room", "r", "content", "fire and forget");
            alice.sendJson("type", "private", "to", "bob", "content", "psst");
            alice.sendJson("type", "ping", "id", "p1");
            // Requests are answered in order: had either been acked, the ack would come before the pong.
            assertEquals("p1", alice.expect("pong").get("id").getAsString());
            alice.expectNothing(QUIET);
            assertEquals("fire and forget", bob.expect("msg").get("content").getAsString());
            assertEquals("psst", bob.expect("private").get("content").getAsString());
            // Without an id nothing is deduplicated either: the same message twice is two messages.
            alice.sendJson("type", "msg", "room", "r", "content", "twice");
            alice.sendJson("type", "msg", "room", "r", "content", "twice");
            long first = bob.expect("msg").get("seq").getAsLong();
            assertEquals(first + 1, bob.expect("msg").get("seq").getAsLong());
        }
    }

    @Test
    void aResendAfterTheIdBoundRolledOverIsDeliveredAgainAsDocumented() {
        // docs/protocol.md: a resend is recognized within the window only while fewer than --dedup-max-ids
        // newer ids were sent. Past the bound the id is new again: the message is delivered a second time.
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").dedupMaxIds(5));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = joined(server, "bob", "r")) {
            alice.drain(QUIET);
            long first = publish(alice, "r", "m0", "id0");
            for (int i = 1; i <= 4; i++) {
                publish(alice, "r", "m" + i, "id" + i);
            }
            alice.sendJson("type", "msg", "room", "r", "content", "m0", "id", "id0");
            assertEquals(first, alice.expect("ack").get("seq").getAsLong(), "5 ids: still within the bound");
            for (int i = 5; i <= 7; i++) {
                publish(alice, "r", "m" + i, "id" + i);
            }
            long again = publish(alice, "r", "m0", "id0");
            assertTrue(again > first + 7, "past the bound the resend is a new message, seq " + again);
            bob.drain(QUIET);
        }
    }

    @Test
    void readReceiptReachesTheOtherSideAndTheReadersOtherConnections() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = connect(server, "alice"); TestClient bob = connect(server, "bob");
             TestClient bob2 = connect(server, "bob")) {
            alice.sendJson("type", "private", "to", "bob", "content", "one", "id", "1");
            alice.expect("ack");
            alice.sendJson("type", "private", "to", "bob", "content", "two", "id", "2");
            assertEquals(2, alice.expect("ack").get("seq").getAsLong());
            bob.drain(QUIET);
            bob2.drain(QUIET);
            bob.send("{\"type\":\"read\",\"with\":\"alice\",\"seq\":2}");
            JsonObject receipt = alice.expect("read");
            assertEquals("bob", receipt.get("by").getAsString());
            assertEquals("alice", receipt.get("with").getAsString());
            assertEquals(2, receipt.get("seq").getAsLong());
            assertEquals(receipt, bob2.expect("read"));
            bob.expectNothing(QUIET);

            bob.send("{\"type\":\"read\",\"with\":\"alice\",\"seq\":3,\"id\":\"r3\"}");
            JsonObject error = bob.expect("error");
            assertEquals("invalid", error.get("code").getAsString());
            assertEquals("r3", error.get("id").getAsString());
            alice.expectNothing(QUIET);
        }
    }

    @Test
    void historyPagesBackwardsAndCapsTheLimit() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r")) {
            for (int i = 1; i <= 130; i++) {
                alice.sendJson("type", "msg", "room", "r", "content", "m" + i);
            }
            publish(alice, "r", "m131", "last");
            alice.send("{\"type\":\"history\",\"room\":\"r\",\"limit\":10,\"id\":\"h1\"}");
            JsonObject page = alice.expect("history");
            assertEquals("h1", page.get("id").getAsString());
            assertSeqs(page, 122, 131);
            assertTrue(page.get("more").getAsBoolean());
            alice.send("{\"type\":\"history\",\"room\":\"r\",\"before\":122,\"limit\":10}");
            assertSeqs(alice.expect("history"), 112, 121);
            alice.send("{\"type\":\"history\",\"room\":\"r\",\"before\":112,\"limit\":100000}");
            JsonObject capped = alice.expect("history");
            assertSeqs(capped, 12, 111);
            assertTrue(capped.get("more").getAsBoolean());
            alice.send("{\"type\":\"history\",\"room\":\"r\",\"before\":12}");
            JsonObject first = alice.expect("history");
            assertSeqs(first, 1, 11);
            assertFalse(first.get("more").getAsBoolean());
            assertEquals("m1", first.getAsJsonArray("messages").get(0).getAsJsonObject().get("content").getAsString());
            assertEquals("alice", first.getAsJsonArray("messages").get(0).getAsJsonObject().get("from").getAsString());
        }
    }

    @Test
    void aHistoryPageOfLongMessagesStaysUnderTheOutboundCapAndPagesOn() {
        // 100 messages of 4096 escaped control characters: 2.4 MB in one frame, past a 1 MiB cap (4000 close).
        String escaped = "\u0001".repeat(4000);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").maxOutboundBytes(1024 * 1024));
             TestClient alice = joined(server, "alice", "r")) {
            for (int i = 1; i <= 100; i++) {
                alice.sendJson("type", "msg", "room", "r", "content", i + escaped);
            }
            publish(alice, "r", "last", "last");
            alice.send("{\"type\":\"history\",\"room\":\"r\",\"limit\":100,\"before\":101}");
            JsonObject page = alice.expect("history");
            JsonArray messages = page.getAsJsonArray("messages");
            assertTrue(messages.size() >= 1 && messages.size() < 100, "a smaller page: " + messages.size());
            assertTrue(page.get("more").getAsBoolean());
            assertTrue(page.toString().length() <= 256 * 1024, "frame of " + page.toString().length() + " chars");
            // The newest of the range came, oldest first; the next page continues below the oldest.
            JsonObject newest = messages.get(messages.size() - 1).getAsJsonObject();
            assertEquals(100, newest.get("seq").getAsLong());
            long oldest = messages.get(0).getAsJsonObject().get("seq").getAsLong();
            alice.send("{\"type\":\"history\",\"room\":\"r\",\"limit\":100,\"before\":" + oldest + "}");
            JsonArray next = alice.expect("history").getAsJsonArray("messages");
            assertEquals(oldest - 1, next.get(next.size() - 1).getAsJsonObject().get("seq").getAsLong());
            alice.sendJson("type", "ping", "id", "alive");
            assertEquals("alive", alice.nextOfType("pong").get("id").getAsString(), "no slow-consumer close");
        }
    }

    @Test
    void aResumeThatMissedMoreThanTheBudgetGetsTheNewestAndRecoveredFalseNotAClose() {
        String longText = "\u0001".repeat(4000); // 24 KB escaped each
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").maxOutboundBytes(64 * 1024));
             TestClient alice = joined(server, "alice", "r")) {
            for (int i = 1; i <= 30; i++) { // 720 KB missed: eleven times the outbound cap
                alice.sendJson("type", "msg", "room", "r", "content", i + longText);
            }
            publish(alice, "r", "the newest", "n");
            try (TestClient bob = connect(server, "bob")) {
                bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":0}");
                bob.nextOfType("join");
                JsonObject resume = bob.expect("resume");
                assertFalse(resume.get("recovered").getAsBoolean(), resume.toString());
                int count = resume.get("count").getAsInt();
                assertTrue(count >= 1 && count < 31, "the newest that fit: " + count);
                JsonObject last = null;
                for (int i = 0; i < count; i++) {
                    last = bob.expect("msg");
                }
                assertEquals("the newest", last.get("content").getAsString());
                bob.sendJson("type", "ping", "id", "alive");
                assertEquals("alive", bob.nextOfType("pong").get("id").getAsString(), "no slow-consumer close");
            }
        }
    }

    @Test
    void broadcastsHeldForAResumeAreBoundedAndPastTheBoundTheResumeSaysRecoveredFalse() throws Exception {
        CountDownLatch readsOpen = new CountDownLatch(1);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").maxOutboundBytes(64 * 1024)
                .store(() -> new FailingStore(new AtomicBoolean(), readsOpen)));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = connect(server, "bob")) {
            publish(alice, "r", "before", "b"); // so that the resume must read the store
            bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":0}");
            bob.nextOfType("join"); // bob is a member now, his replay waiting for the (slow) store read
            String longText = "x".repeat(4000);
            for (int i = 1; i <= 20; i++) { // 80 KB broadcast meanwhile: more than the 16 KB held for a resume
                alice.sendJson("type", "msg", "room", "r", "content", i + longText);
            }
            alice.sendJson("type", "ping", "id", "sent");
            alice.nextOfType("pong");
            readsOpen.countDown();
            JsonObject resume = bob.expect("resume");
            assertFalse(resume.get("recovered").getAsBoolean(), "the held frames were dropped: " + resume);
            publish(alice, "r", "live after", "live");
            JsonObject live;
            do {
                live = bob.nextOfType("msg");
            } while (!live.get("content").getAsString().equals("live after"));
            bob.sendJson("type", "ping", "id", "alive");
            assertEquals("alive", bob.nextOfType("pong").get("id").getAsString());
        }
    }

    @Test
    void aSlowHistoryReadDelaysNoOnesAck() throws Exception {
        CountDownLatch readsOpen = new CountDownLatch(1);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("")
                .store(() -> new FailingStore(new AtomicBoolean(), readsOpen)));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = joined(server, "bob", "r");
             TestClient carol = connect(server, "carol")) {
            assertEquals(1, publish(alice, "r", "before", "b"));
            bob.send("{\"type\":\"history\",\"room\":\"r\",\"id\":\"h\"}"); // stuck on a slow disk
            carol.send("{\"type\":\"join\",\"room\":\"r\",\"since\":0}"); // a resume's read, stuck too
            carol.nextOfType("join");
            for (int i = 2; i <= 20; i++) {
                assertEquals(i, publish(alice, "r", "while bob reads " + i, "m" + i), "acks go on meanwhile");
            }
            readsOpen.countDown();
            JsonObject history = bob.nextOfType("history");
            assertEquals("h", history.get("id").getAsString());
            assertTrue(history.getAsJsonArray("messages").size() >= 1, "it saw what was acked before it: " + history);
            assertEquals("before", history.getAsJsonArray("messages").get(0).getAsJsonObject().get("content")
                    .getAsString());
            JsonObject resume = carol.nextOfType("resume");
            assertTrue(resume.get("recovered").getAsBoolean(), resume.toString());
            for (int i = 1; i <= 20; i++) {
                assertEquals(i, carol.nextOfType("msg").get("seq").getAsLong(), "the replay, then what was held");
            }
        }
    }

    @Test
    void aSinceFromBeforeAMemoryStoreRestartIsNotRecoveredEvenWhenTheRoomGrewPastIt() {
        String oldEpoch;
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r")) {
            oldEpoch = server.chat().epoch();
            for (int i = 1; i <= 5; i++) {
                publish(alice, "r", "first life " + i, "a" + i);
            }
        }
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r"); TestClient bob = connect(server, "bob")) {
            assertNotEquals(oldEpoch, server.chat().epoch(), "a memory store cannot vouch for old seqs");
            for (int i = 1; i <= 8; i++) { // the new life's room grows past bob's since
                publish(alice, "r", "second life " + i, "b" + i);
            }
            bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":5,\"epoch\":\"" + oldEpoch + "\"}");
            JsonObject stale = bob.nextOfType("resume");
            assertFalse(stale.get("recovered").getAsBoolean(), stale.toString());
            assertEquals(server.chat().epoch(), stale.get("epoch").getAsString(), "the epoch to keep from now on");
            bob.drain(QUIET);
            bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":5,\"epoch\":\"" + server.chat().epoch() + "\"}");
            JsonObject current = bob.nextOfType("resume");
            assertTrue(current.get("recovered").getAsBoolean(), current.toString());
        }
    }

    @Test
    void aReplayAcrossAHoleLeftByAFailedCommitIsNotRecovered() {
        AtomicBoolean failing = new AtomicBoolean(false);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> new FailingStore(failing)));
             TestClient alice = joined(server, "alice", "r")) {
            publish(alice, "r", "one", "1");
            failing.set(true);
            alice.sendJson("type", "msg", "room", "r", "content", "two, never stored", "id", "2");
            assertEquals("store_failed", alice.nextOfType("error").get("code").getAsString());
            failing.set(false);
            publish(alice, "r", "three", "3");
            try (TestClient bob = connect(server, "bob")) {
                bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":0,\"epoch\":\"" + server.chat().epoch() + "\"}");
                JsonObject resume = bob.nextOfType("resume");
                assertFalse(resume.get("recovered").getAsBoolean(), "seq 2 is missing: " + resume);
                assertEquals(2, resume.get("count").getAsInt());
            }
        }
    }

    @Test
    void readinessIs503WhileTheStoreFailsCommitsAndRecoversWithIt() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(false);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> new FailingStore(failing)));
             TestClient alice = joined(server, "alice", "r")) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpRequest readyz = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + server.port() + "/readyz")).build();
            java.net.http.HttpResponse.BodyHandler<String> body = java.net.http.HttpResponse.BodyHandlers.ofString();
            publish(alice, "r", "one", "1");
            assertEquals(200, http.send(readyz, body).statusCode());
            failing.set(true);
            alice.sendJson("type", "msg", "room", "r", "content", "two, never stored", "id", "2");
            assertEquals("store_failed", alice.nextOfType("error").get("code").getAsString());
            java.net.http.HttpResponse<String> notReady = http.send(readyz, body);
            assertEquals(503, notReady.statusCode());
            assertEquals("{\"status\":\"not ready\"}\n", notReady.body());
            assertEquals(1, server.chat().stats().errorsSent(ErrorCode.STORE_FAILED));
            failing.set(false);
            publish(alice, "r", "three", "3");
            assertEquals(200, http.send(readyz, body).statusCode());
            assertTrue(server.chat().stats().storeCommits() >= 3);
        }
    }

    @Test
    void historyIsRateLimitedByDefaultWithoutClosingTheConnection() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r")) {
            publish(alice, "r", "one", "1");
            for (int i = 0; i < 60; i++) { // a loop of history requests: each one reads the shared store
                alice.send("{\"type\":\"history\",\"room\":\"r\",\"id\":\"h" + i + "\"}");
            }
            int pages = 0;
            int limited = 0;
            for (int i = 0; i < 60; i++) {
                JsonObject answer = alice.next();
                if (answer.get("type").getAsString().equals("history")) {
                    pages++;
                } else {
                    assertEquals("rate_limited", answer.get("code").getAsString(), answer.toString());
                    limited++;
                }
            }
            assertTrue(pages >= 20 && pages < 30, "a burst of 20, then 5 a second: " + pages);
            assertEquals(60, pages + limited);
            assertEquals(2, publish(alice, "r", "still connected", "2"));
        }
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").historyRate(0));
             TestClient alice = joined(server, "alice", "r")) {
            for (int i = 0; i < 60; i++) {
                alice.send("{\"type\":\"history\",\"room\":\"r\"}");
            }
            for (int i = 0; i < 60; i++) {
                assertEquals("history", alice.next().get("type").getAsString(), "0 turns the limit off");
            }
        }
    }

    @Test
    void roomsJoinedAndLeftWithoutAMessageLeaveNothingBehind() throws InterruptedException {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient mallory = connect(server, "mallory")) {
            for (int i = 0; i < 2000; i++) {
                mallory.sendJson("type", "join", "room", "junk" + i);
                mallory.sendJson("type", "leave", "room", "junk" + i);
            }
            mallory.sendJson("type", "join", "room", "kept");
            publish(mallory, "kept", "a message", "k");
            mallory.sendJson("type", "leave", "room", "kept");
            mallory.sendJson("type", "ping", "id", "done");
            mallory.nextOfType("pong");
            // The last leave runs on its room's loop, which may be another than the one that answered the ping.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.chat().roomCount() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, server.chat().roomCount());
            assertEquals(1, server.chat().rooms().dormantRoomCount(), "only the room with a seq to continue");
        }
    }

    @Test
    void badStoreRequestsGetErrorsAndTheConnectionKeepsWorking() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""));
             TestClient alice = joined(server, "alice", "r")) {
            String[] bad = {
                "{\"type\":\"join\",\"room\":\"r\",\"since\":-1,\"id\":\"x\"}",
                "{\"type\":\"join\",\"room\":\"r\",\"since\":\"5\",\"id\":\"x\"}",
                "{\"type\":\"join\",\"room\":\"r\",\"since\":1.5,\"id\":\"x\"}",
                "{\"type\":\"join\",\"room\":\"r\",\"since\":1e400,\"id\":\"x\"}",
                "{\"type\":\"join\",\"room\":\"r\",\"sinse\":3,\"id\":\"x\"}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":0,\"id\":\"x\"}",
                "{\"type\":\"history\",\"room\":\"r\",\"before\":0,\"id\":\"x\"}",
                "{\"type\":\"history\",\"room\":\"r\",\"before\":[],\"id\":\"x\"}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":null,\"extra\":1,\"id\":\"x\"}",
                "{\"type\":\"read\",\"with\":\"bob\",\"id\":\"x\"}",
                "{\"type\":\"read\",\"with\":\"bob\",\"seq\":0,\"id\":\"x\"}",
                "{\"type\":\"msg\",\"room\":\"r\",\"content\":\"hi\",\"colour\":\"red\",\"id\":\"x\"}",
            };
            for (String frame : bad) {
                alice.send(frame);
                JsonObject error = alice.expect("error");
                assertEquals("invalid", error.get("code").getAsString(), frame);
                assertEquals("x", error.get("id").getAsString(), frame);
            }
            alice.send("{\"type\":\"history\",\"room\":\"elsewhere\",\"id\":\"y\"}");
            assertEquals("not_in_room", alice.expect("error").get("code").getAsString());
            assertEquals(1, publish(alice, "r", "still fine", "ok"));
        }
    }

    @Test
    void aFailedCommitAnswersStoreFailedAndLetsTheSameIdBeSentAgain() {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> new FailingStore(failing)));
             TestClient alice = joined(server, "alice", "r")) {
            alice.sendJson("type", "msg", "room", "r", "content", "lost?", "id", "x");
            JsonObject error = alice.expect("error");
            assertEquals("store_failed", error.get("code").getAsString());
            assertEquals("x", error.get("id").getAsString());
            alice.sendJson("type", "private", "to", "bob", "content", "later", "id", "y");
            assertEquals("store_failed", alice.expect("error").get("code").getAsString());
            failing.set(false);
            assertEquals(2, publish(alice, "r", "again", "x"), "seq 1 was used by the failed message");
            alice.sendJson("type", "private", "to", "bob", "content", "later", "id", "y");
            assertTrue(alice.expect("ack").get("stored").getAsBoolean());
        }
    }

    @Test
    void sendPrivateFromCodeFailsWhenTheMessageWasNotTaken() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> new FailingStore(failing)))) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> server.chat().sendPrivate("ops", "bob", "lost").get(5, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof StoreException, refused.toString());
            failing.set(false);
            assertTrue(server.chat().sendPrivate("ops", "bob", "kept").get(5, TimeUnit.SECONDS).stored());
        }
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").offlineMaxPerUser(0))) {
            ExecutionException offline = assertThrows(ExecutionException.class,
                    () -> server.chat().sendPrivate("ops", "bob", "nobody home").get(5, TimeUnit.SECONDS));
            assertTrue(offline.getCause() instanceof RejectedExecutionException, offline.toString());
        }
    }

    @Test
    void aConnectionWhoseStoredMessagesCannotBeReadIsToldToReconnect() {
        AtomicBoolean failing = new AtomicBoolean(false);
        AtomicBoolean inboxFails = new AtomicBoolean(false);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("")
                .store(() -> new FailingStore(failing, new CountDownLatch(0), inboxFails)));
             TestClient alice = connect(server, "alice")) {
            alice.sendJson("type", "private", "to", "bob", "content", "waiting for you", "id", "w");
            assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean());
            inboxFails.set(true);
            try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                // Without its stored messages the connection would look complete and never get them.
                assertEquals(CloseCodes.INTERNAL_ERROR, bob.awaitCloseCode());
            }
            inboxFails.set(false);
            try (TestClient bob = connect(server, "bob")) {
                assertEquals("waiting for you", bob.nextOfType("private").get("content").getAsString());
            }
        }
    }

    @Test
    void onlyUsersWithStoredMessagesCostAStoreReadOnConnect() throws Exception {
        CountingStore store = new CountingStore(new CountDownLatch(0));
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> store))) {
            assertTrue(store.recipientsNamed.await(5, TimeUnit.SECONDS));
            try (TestClient alice = connect(server, "alice");
                 TestClient carol = connect(server, "carol")) {
                alice.sendJson("type", "private", "to", "bob", "content", "waiting for you", "id", "w");
                assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean());
            }
            assertEquals(0, store.inboxReads("alice") + store.inboxReads("carol"), "nothing was stored for them");
            try (TestClient bob = connect(server, "bob")) {
                assertEquals("waiting for you", bob.expect("private").get("content").getAsString());
            }
            assertEquals(1, store.inboxReads("bob"));
            try (TestClient bob = connect(server, "bob")) {
                // Delivered, but the note that the store may hold some goes only when a read finds none.
                bob.expectNothing(QUIET);
            }
            assertEquals(2, store.inboxReads("bob"));
            try (TestClient bob = connect(server, "bob")) {
                bob.expectNothing(QUIET);
            }
            assertEquals(2, store.inboxReads("bob"), "the last read found the inbox empty");
        }
    }

    @Test
    void aMessageCommittedWhileItsRecipientConnectsArrivesExactlyOnce() throws Exception {
        CountDownLatch commitsOpen = new CountDownLatch(1);
        CountingStore store = new CountingStore(commitsOpen);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> store));
             TestClient alice = connect(server, "alice")) {
            assertTrue(store.recipientsNamed.await(5, TimeUnit.SECONDS));
            alice.sendJson("type", "private", "to", "bob", "content", "in flight", "id", "f");
            assertTrue(store.committing.await(5, TimeUnit.SECONDS));
            // The message is on its way into the store when bob comes: nothing is committed for him yet, so his
            // connect does not read; the commit must hand the message to him instead.
            try (TestClient bob = connect(server, "bob")) {
                bob.expectNothing(QUIET);
                commitsOpen.countDown();
                assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean());
                assertEquals("in flight", bob.expect("private").get("content").getAsString());
                bob.expectNothing(QUIET);
                assertEquals(0, store.inboxReads("bob"));
            }
            try (TestClient bob = connect(server, "bob")) {
                bob.expectNothing(QUIET); // delivered once, then forgotten by the store
            }
        }
    }

    /**
     * A memory store that counts inbox reads per user, tells when chat-core asked whom it holds messages for, and
     * holds commits of private messages until {@code commitsOpen}.
     */
    private static final class CountingStore extends MemoryBackedStore {
        final CountDownLatch recipientsNamed = new CountDownLatch(1);
        final CountDownLatch committing = new CountDownLatch(1);
        private final CountDownLatch commitsOpen;
        private final Map<String, Integer> reads = new ConcurrentHashMap<>();

        CountingStore(CountDownLatch commitsOpen) {
            this.commitsOpen = commitsOpen;
        }

        int inboxReads(String user) {
            return reads.getOrDefault(user, 0);
        }

        @Override
        public void write(WriteBatch batch) {
            if (!batch.offlineMessages.isEmpty()) {
                committing.countDown();
                try {
                    commitsOpen.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            memory.write(batch);
        }

        @Override
        public List<PrivateMessage> undelivered(String user, int limit) {
            reads.merge(user, 1, Integer::sum);
            return memory.undelivered(user, limit);
        }

        @Override
        public Optional<Set<String>> undeliveredRecipients() {
            try {
                return memory.undeliveredRecipients();
            } finally {
                recipientsNamed.countDown();
            }
        }
    }

    /**
     * A memory store whose commits fail while {@code failing} is set, like a full disk, and whose room reads wait
     * for {@code readsOpen}, like a slow disk.
     */
    private static final class FailingStore extends MemoryBackedStore {
        private final AtomicBoolean failing;
        private final CountDownLatch readsOpen;
        private final AtomicBoolean inboxFails;

        FailingStore(AtomicBoolean failing) {
            this(failing, new CountDownLatch(0));
        }

        FailingStore(AtomicBoolean failing, CountDownLatch readsOpen) {
            this(failing, readsOpen, new AtomicBoolean());
        }

        FailingStore(AtomicBoolean failing, CountDownLatch readsOpen, AtomicBoolean inboxFails) {
            this.failing = failing;
            this.readsOpen = readsOpen;
            this.inboxFails = inboxFails;
        }

        @Override
        public void write(WriteBatch batch) {
            if (failing.get()) {
                throw new StoreException("disk full");
            }
            memory.write(batch);
        }

        @Override
        public List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) {
            try {
                readsOpen.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return memory.roomMessages(room, afterSeq, beforeSeq, limit);
        }

        @Override
        public List<PrivateMessage> undelivered(String user, int limit) {
            if (inboxFails.get()) {
                throw new StoreException("I/O error");
            }
            return memory.undelivered(user, limit);
        }
    }

    private static void assertSeqs(JsonObject page, long first, long last) {
        JsonArray messages = page.getAsJsonArray("messages");
        assertEquals(last - first + 1, messages.size(), page::toString);
        for (int i = 0; i < messages.size(); i++) {
            assertEquals(first + i, messages.get(i).getAsJsonObject().get("seq").getAsLong());
        }
    }
}
