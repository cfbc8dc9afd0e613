package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Presence in rooms of every size: notices per change in small rooms, one gathered {@code presence} frame per
 * interval past {@code presenceNoticesMax} users, counts only past {@code presenceNamesMax}, and {@code who} in
 * pages. A reconnect storm into one room costs frames linear in the number of clients.
 */
class PresenceTest {

    @Test
    void pastTheNoticeBoundChangesArriveAsOnePresenceFramePerInterval() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").presenceNoticesMax(2).presenceNamesMax(10)
                .presenceInterval(Duration.ofSeconds(2)));
             TestClient alice = joined(server, "alice");
             TestClient bob = joined(server, "bob")) {
            assertEquals("bob", alice.nextOfType("join").get("user").getAsString(), "two users: notices as before");
            try (TestClient carol = joined(server, "carol");
                 TestClient dave = joined(server, "dave");
                 TestClient erin = joined(server, "erin")) {
                dave.send("{\"type\":\"leave\",\"room\":\"big\"}");
                dave.nextOfType("leave");
                carol.send("{\"type\":\"msg\",\"room\":\"big\",\"content\":\"hello\"}");

                JsonObject msg = null;
                JsonObject presence = null;
                while (presence == null) {
                    JsonObject frame = alice.next();
                    String type = frame.get("type").getAsString();
                    assertFalse(type.equals("join") || type.equals("leave"), "no notice past the bound: " + frame);
                    if (type.equals("msg")) {
                        msg = frame;
                    } else if (type.equals("presence")) {
                        presence = frame;
                    }
                }
                assertEquals("big", presence.get("room").getAsString());
                assertEquals(4, presence.get("count").getAsInt());
                assertEquals(List.of("carol", "erin"), names(presence.getAsJsonArray("joined")),
                        "dave came and went within the interval: no change to tell");
                assertEquals(List.of(), names(presence.getAsJsonArray("left")));
                // Gathered presence may follow a message of someone it announces: it is a summary, not a notice.
                assertEquals("hello", msg == null ? alice.nextOfType("msg").get("content").getAsString()
                        : msg.get("content").getAsString());
                erin.send("{\"type\":\"leave\",\"room\":\"big\"}");
                JsonObject next = alice.nextOfType("presence");
                assertEquals(3, next.get("count").getAsInt());
                assertEquals(List.of("erin"), names(next.getAsJsonArray("left")));
                alice.expectNothing(Duration.ofMillis(2500)); // nothing changed: no frame
            }
        }
    }

    @Test
    void pastTheNamesBoundPresenceCarriesOnlyTheCount() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").presenceNoticesMax(1).presenceNamesMax(2)
                .presenceInterval(Duration.ofMillis(200)));
             TestClient alice = joined(server, "alice");
             TestClient bob = joined(server, "bob")) {
            JsonObject named = alice.nextOfType("presence");
            assertEquals(2, named.get("count").getAsInt());
            assertEquals(List.of("bob"), names(named.getAsJsonArray("joined")));
            try (TestClient carol = joined(server, "carol")) {
                JsonObject counted = alice.nextOfType("presence");
                assertEquals(3, counted.get("count").getAsInt());
                assertFalse(counted.has("joined") || counted.has("left"), counted.toString());
                assertEquals(3, carol.nextOfType("presence").get("count").getAsInt(),
                        "the joiner got its own join notice (see joined), then the count like everyone");
            }
        }
    }

    @Test
    void countOnlyFramesComeLessOftenAsTheRoomGrows() {
        Duration interval = Duration.ofMillis(100);
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").presenceNoticesMax(1).presenceNamesMax(2)
                .presenceInterval(interval))) {
            List<TestClient> clients = new ArrayList<>();
            try {
                TestClient alice = joined(server, "alice");
                clients.add(alice);
                for (int i = 1; i < 8; i++) {
                    clients.add(joined(server, "u" + i));
                }
                JsonObject counted;
                do { // the frames of the joins above, until the one that counts all 8
                    counted = alice.nextOfType("presence");
                } while (counted.get("count").getAsInt() < 8);
                long countedAt = System.nanoTime();
                clients.add(joined(server, "u8"));
                JsonObject next = alice.nextOfType("presence");
                long gapMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - countedAt);
                assertEquals(9, next.get("count").getAsInt());
                // 9 users, 2 named at most: a count every 5 intervals (500 ms), not every interval (100 ms). The
                // margin is for the first frame reaching alice later than the second.
                assertTrue(gapMillis >= 400, "a count " + gapMillis + " ms after the last one");
            } finally {
                clients.forEach(TestClient::close);
            }
        }
    }

    @Test
    void countOnlyIntervalGrowsWithTheRoomUpToItsBound() {
        long second = TimeUnit.SECONDS.toNanos(1);
        Presence presence = new Presence(100, 1000, second, new ChatStats());
        assertEquals(second, presence.countOnlyIntervalNanos(1001 - 1), "named rooms: the interval");
        assertEquals(2 * second, presence.countOnlyIntervalNanos(1001));
        assertEquals(10 * second, presence.countOnlyIntervalNanos(10_000));
        assertEquals(Presence.MAX_COUNT_ONLY_INTERVAL_NANOS, presence.countOnlyIntervalNanos(1_000_000));
        Presence namesOff = new Presence(0, 0, TimeUnit.HOURS.toNanos(1), new ChatStats());
        assertEquals(TimeUnit.HOURS.toNanos(1), namesOff.countOnlyIntervalNanos(Integer.MAX_VALUE),
                "an interval longer than the bound stays, and a huge room does not overflow");
    }

    @Test
    void aRoomShrinkingBackToNoticesAnnouncesWhatItGatheredFirst() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").presenceNoticesMax(3)
                .presenceInterval(Duration.ofMinutes(5)));
             TestClient alice = joined(server, "alice");
             TestClient bob = joined(server, "bob");
             TestClient carol = joined(server, "carol");
             TestClient dave = joined(server, "dave")) {
            bob.send("{\"type\":\"leave\",\"room\":\"big\"}");
            bob.nextOfType("leave");
            carol.send("{\"type\":\"leave\",\"room\":\"big\"}");
            carol.nextOfType("leave");
            List<JsonObject> seen = new ArrayList<>();
            for (JsonObject f = alice.next(); ; f = alice.next()) {
                seen.add(f);
                if (f.get("type").getAsString().equals("leave")) {
                    break;
                }
            }
            // bob, carol joined with notices; dave (4th) and bob's leave were gathered; carol's leave (3 before it)
            // is a notice again, after the gathered frame.
            JsonObject presence = seen.get(seen.size() - 2);
            assertEquals("presence", presence.get("type").getAsString(), seen.toString());
            assertEquals(List.of("dave"), names(presence.getAsJsonArray("joined")));
            assertEquals(List.of("bob"), names(presence.getAsJsonArray("left")));
            assertEquals(3, presence.get("count").getAsInt(), "the count before carol's leave");
            assertEquals("carol", seen.get(seen.size() - 1).get("user").getAsString());
        }
    }

    @Test
    void whoAnswersInSortedPagesWithTheCount() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""))) {
            List<TestClient> clients = new ArrayList<>();
            try {
                for (String user : new String[] {"erin", "bob", "dave", "alice", "carol"}) {
                    clients.add(joined(server, user));
                }
                TestClient alice = clients.get(3);
                alice.send("{\"type\":\"who\",\"room\":\"big\",\"limit\":2}");
                JsonObject first = alice.nextOfType("who");
                assertEquals(List.of("alice", "bob"), names(first.getAsJsonArray("users")));
                assertEquals(5, first.get("count").getAsInt());
                assertTrue(first.get("more").getAsBoolean());
                alice.send("{\"type\":\"who\",\"room\":\"big\",\"after\":\"bob\",\"limit\":2}");
                assertEquals(List.of("carol", "dave"), names(alice.nextOfType("who").getAsJsonArray("users")));
                alice.send("{\"type\":\"who\",\"room\":\"big\",\"after\":\"dave\"}");
                JsonObject last = alice.nextOfType("who");
                assertEquals(List.of("erin"), names(last.getAsJsonArray("users")));
                assertFalse(last.get("more").getAsBoolean());
                alice.send("{\"type\":\"who\",\"room\":\"big\",\"limit\":0}");
                assertEquals("invalid", alice.nextOfType("error").get("code").getAsString());
            } finally {
                clients.forEach(TestClient::close);
            }
        }
    }

    /**
     * 2,000 clients arriving at once in the default room, as after a restart: all get their welcome and their
     * join, and the presence frames the server writes grow linearly with them (a notice per join to every member
     * would be 2,000,000).
     */
    @Test
    @Timeout(120)
    void aStormOf2000ClientsIntoOneRoomCostsPresenceFramesLinearInTheClients() {
        int clients = 2000;
        try (TestServer server = TestServer.start(b -> b)) {
            List<TestClient> connected = new ArrayList<>();
            long start = System.nanoTime();
            try {
                for (int i = 0; i < clients; i++) {
                    TestClient client = TestClient.connect(server.port(), "/ws?user=u" + i, h -> { });
                    connected.add(client);
                }
                for (int i = 0; i < clients; i++) {
                    TestClient client = connected.get(i);
                    assertEquals("welcome", client.next().get("type").getAsString());
                    String self = "u" + i;
                    while (!client.nextOfType("join").get("user").getAsString().equals(self)) {
                        // notices of those who came before, while the room was small
                    }
                }
                long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                ChatConfig config = server.chat().config();
                int small = config.presenceNoticesMax();
                long intervals = 2 + elapsedMillis / config.presenceInterval().toMillis();
                long bound = (long) small * small + clients * (1 + intervals);
                long frames = server.chat().stats().presenceFrames();
                assertTrue(frames <= bound, frames + " presence frames for " + clients + " clients in "
                        + elapsedMillis + " ms; linear bound " + bound);
                TestClient last = connected.get(clients - 1);
                last.send("{\"type\":\"who\",\"room\":\"lobby\"}");
                JsonObject who = last.nextOfType("who");
                assertEquals(clients, who.get("count").getAsInt());
                assertEquals(ChatFrameHandler.MAX_WHO_LIMIT, who.getAsJsonArray("users").size());
                assertTrue(who.get("more").getAsBoolean());
            } finally {
                connected.forEach(TestClient::close);
            }
        }
    }

    private static TestClient joined(TestServer server, String user) {
        TestClient client = TestClient.connect(server.port(), user);
        client.expect("welcome");
        client.send("{\"type\":\"join\",\"room\":\"big\"}");
        while (!client.nextOfType("join").get("user").getAsString().equals(user)) {
            // earlier members' notices
        }
        return client;
    }

    private static List<String> names(JsonArray array) {
        List<String> names = new ArrayList<>();
        array.forEach(e -> names.add(e.getAsString()));
        return names;
    }
}
