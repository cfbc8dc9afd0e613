package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Room and user names cost nothing once they fall silent: chat-core forgets the numbering of rooms and
 * conversations past the retention (continuing above it when a name comes back), and caps what senders may
 * store for offline users.
 */
class ForgottenNamesTest {

    private static final Duration TTL = Duration.ofMillis(1500);

    @Test
    void aClientMakingUp100000RoomsAndRecipientsLeavesNothingBehindAfterTheRetention() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").historyTtl(TTL).offlineTtl(TTL)
                .pruneInterval(Duration.ofMillis(200)));
             TestClient mallory = TestClient.connect(server.port(), "mallory")) {
            mallory.expect("welcome");
            int names = 100_000;
            MadeUpNames.create(mallory, names);
            Chat chat = server.chat();
            assertTrue(chat.privates().waitingCount() <= chat.config().offlineMaxPerSender(),
                    "a sender stores at most its cap: " + chat.privates().waitingCount());
            awaitTrue(() -> chat.rooms().dormantRoomCount() == 0 && chat.privates().conversationCount() == 0
                    && chat.privates().waitingCount() == 0, Duration.ofSeconds(20),
                    () -> "dormant rooms " + chat.rooms().dormantRoomCount() + ", conversations "
                            + chat.privates().conversationCount() + ", waiting " + chat.privates().waitingCount());
            assertEquals(0, chat.roomCount());

            // A name that comes back continues above every seq it had: no client's since can mean two messages.
            mallory.sendJson("type", "join", "room", "junk7");
            mallory.nextOfType("join");
            mallory.sendJson("type", "msg", "room", "junk7", "content", "back", "id", "b1");
            assertTrue(mallory.nextOfType("ack").get("seq").getAsLong() > 1, "junk7 had seq 1 before");
        }
    }

    @Test
    void forgottenRoomsAndConversationsContinueAboveTheirLastSeq() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").historyTtl(TTL).offlineTtl(TTL)
                .pruneInterval(Duration.ofMillis(200)));
             TestClient alice = TestClient.connect(server.port(), "alice");
             TestClient bob = TestClient.connect(server.port(), "bob")) {
            alice.expect("welcome");
            bob.expect("welcome");
            alice.sendJson("type", "join", "room", "r");
            alice.nextOfType("join");
            for (int i = 1; i <= 3; i++) {
                alice.sendJson("type", "msg", "room", "r", "content", "m" + i, "id", "m" + i);
                assertEquals(i, alice.nextOfType("ack").get("seq").getAsLong());
                alice.sendJson("type", "private", "to", "bob", "content", "p" + i, "id", "p" + i);
                assertEquals(i, alice.nextOfType("ack").get("seq").getAsLong());
            }
            alice.sendJson("type", "leave", "room", "r");
            alice.nextOfType("leave");
            Chat chat = server.chat();
            awaitTrue(() -> chat.rooms().dormantRoomCount() == 0 && chat.privates().conversationCount() == 0,
                    Duration.ofSeconds(10), () -> "not forgotten");

            alice.send("{\"type\":\"join\",\"room\":\"r\",\"since\":3}");
            JsonObject resume = alice.nextOfType("resume");
            assertTrue(resume.get("recovered").getAsBoolean(), "nothing was missed after 3: " + resume);
            alice.sendJson("type", "msg", "room", "r", "content", "again", "id", "m4");
            assertEquals(4, alice.nextOfType("ack").get("seq").getAsLong());
            alice.sendJson("type", "private", "to", "bob", "content", "again", "id", "p4");
            assertEquals(4, alice.nextOfType("ack").get("seq").getAsLong());
            JsonObject received = bob.nextOfType("private");
            while (!received.get("content").getAsString().equals("again")) {
                received = bob.nextOfType("private");
            }
            assertEquals(4, received.get("seq").getAsLong());
        }
    }

    /**
     * A prune counts what the store committed; messages still queued behind it must count against the sender's cap
     * too, or a flood racing a prune stores past the cap (the store's counts used to replace the queued ones until
     * the next prune).
     */
    @Test
    void messagesQueuedBehindAPruneStillCountAgainstTheSendersCap() throws Exception {
        AtomicBoolean holdNextPrune = new AtomicBoolean();
        AtomicBoolean held = new AtomicBoolean();
        CountDownLatch pruning = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        MemoryBackedStore store = new MemoryBackedStore() {
            @Override
            public void prune(long nowMillis) {
                if (holdNextPrune.compareAndSet(true, false)) {
                    held.set(true);
                    pruning.countDown();
                    awaitQuietly(released);
                } else if (held.get()) {
                    awaitQuietly(checked); // no later prune may recount before the cap is checked
                }
                memory.prune(nowMillis);
            }
        };
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").offlineMaxPerSender(3)
                .pruneInterval(Duration.ofMillis(50)).store(() -> store));
             TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.expect("welcome");
            holdNextPrune.set(true);
            assertTrue(pruning.await(5, TimeUnit.SECONDS), "the store thread entered a prune");
            for (int i = 1; i <= 3; i++) { // counted now, committed only after the prune
                alice.sendJson("type", "private", "to", "bob", "content", "p" + i, "id", "p" + i);
            }
            alice.flushAndAwaitPong("counted");
            released.countDown();
            for (int i = 1; i <= 3; i++) {
                assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean());
            }
            alice.sendJson("type", "private", "to", "dave", "content", "p4", "id", "p4");
            JsonObject answer = alice.next();
            assertEquals("error", answer.get("type").getAsString(), "a 4th stored message passes the cap: " + answer);
            assertEquals("offline_full", answer.get("code").getAsString(), answer.toString());
        } finally {
            released.countDown();
            checked.countDown();
        }
    }

    /** Waits at most 5 s: a store call held by a test that failed must not hang the server's shutdown. */
    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aSenderPastItsOfflineCapGetsOfflineFullUntilItsMessagesAreDelivered() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").offlineMaxPerSender(3));
             TestClient alice = TestClient.connect(server.port(), "alice");
             TestClient carol = TestClient.connect(server.port(), "carol")) {
            alice.expect("welcome");
            carol.expect("welcome");
            for (int i = 1; i <= 3; i++) {
                alice.sendJson("type", "private", "to", "bob", "content", "p" + i, "id", "p" + i);
                assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean());
            }
            alice.sendJson("type", "private", "to", "dave", "content", "p4", "id", "p4");
            JsonObject refused = alice.next();
            assertEquals("offline_full", refused.get("code").getAsString(), refused.toString());
            assertEquals("p4", refused.get("id").getAsString());
            alice.sendJson("type", "private", "to", "carol", "content", "live", "id", "live");
            assertTrue(alice.nextOfType("ack").has("seq"), "messages to online users are not capped");
            carol.sendJson("type", "private", "to", "dave", "content", "c1", "id", "c1");
            assertTrue(carol.nextOfType("ack").get("stored").getAsBoolean(), "the cap is per sender");

            try (TestClient bob = TestClient.connect(server.port(), "bob")) {
                for (int i = 1; i <= 3; i++) {
                    assertEquals("p" + i, bob.nextOfType("private").get("content").getAsString());
                }
                awaitTrue(() -> server.chat().privates().waitingCount() == 1, Duration.ofSeconds(5),
                        () -> "waiting " + server.chat().privates().waitingCount());
            }
            alice.sendJson("type", "private", "to", "dave", "content", "p4", "id", "p5");
            assertTrue(alice.nextOfType("ack").get("stored").getAsBoolean(), "delivered messages leave the count");
        }
    }

    @Test
    void theServerWideOfflineCapRefusesEverySender() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").offlineMaxTotal(2));
             TestClient alice = TestClient.connect(server.port(), "alice");
             TestClient carol = TestClient.connect(server.port(), "carol")) {
            alice.expect("welcome");
            carol.expect("welcome");
            alice.sendJson("type", "private", "to", "bob", "content", "a", "id", "a");
            alice.nextOfType("ack");
            carol.sendJson("type", "private", "to", "bob", "content", "c", "id", "c");
            carol.nextOfType("ack");
            carol.sendJson("type", "private", "to", "dave", "content", "c2", "id", "c2");
            assertEquals("offline_full", carol.next().get("code").getAsString());
            alice.sendJson("type", "private", "to", "carol", "content", "live", "id", "live");
            assertTrue(alice.nextOfType("ack").has("seq"), "live delivery goes on");
            assertEquals("live", carol.nextOfType("private").get("content").getAsString());
        }
    }

    private static void awaitTrue(BooleanSupplier condition, Duration wait, Supplier<String> what) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what.get());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
