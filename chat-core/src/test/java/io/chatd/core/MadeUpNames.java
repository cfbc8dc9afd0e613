package io.chatd.core;

/** What a hostile client does to grow the server's per-name state: rooms and recipients nobody else uses. */
public final class MadeUpNames {

    private MadeUpNames() {
    }

    /**
     * For each of {@code count} new names: joins room {@code junkN}, writes one message there, leaves it, and sends
     * one private message to user {@code nobodyN} (who never connects). Returns once the server handled all of it.
     */
    public static void create(TestClient client, int count) {
        for (int i = 0; i < count; i++) {
            client.queue("{\"type\":\"join\",\"room\":\"junk" + i + "\"}");
            client.queue("{\"type\":\"msg\",\"room\":\"junk" + i + "\",\"content\":\"x\"}");
            client.queue("{\"type\":\"leave\",\"room\":\"junk" + i + "\"}");
            client.queue("{\"type\":\"private\",\"to\":\"nobody" + i + "\",\"content\":\"x\"}");
            if (i % 500 == 499) {
                client.flushAndAwaitPong("step" + i); // keeps the server's answers flowing, and our writes bounded
            }
        }
        client.flushAndAwaitPong("made-up-names-done");
    }
}
