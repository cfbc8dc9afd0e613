package io.chatd.redis;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.chatd.core.cluster.ClusterEvents;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.RoomMessage;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's PUB/SUB connection: subscribes and unsubscribes room and user channels, decodes what they carry
 * (JSON written by the scripts) and hands it to the node's {@link ClusterEvents}. Lettuce subscribes every channel
 * again after a reconnect; a channel confirmed a second time is reported as resubscribed, since what was published
 * while the link was down is lost to PUB/SUB.
 */
final class Subscriptions extends RedisPubSubAdapter<String, String> {

    private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);

    private final StatefulRedisPubSubConnection<String, String> pubsub;
    private final String roomPrefix;
    private final String userPrefix;
    private final ClusterEvents events;
    /** Channels whose subscription Redis has confirmed since they were last unsubscribed. */
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();

    Subscriptions(StatefulRedisPubSubConnection<String, String> pubsub, String prefix, ClusterEvents events) {
        this.pubsub = pubsub;
        this.roomPrefix = prefix + "r:";
        this.userPrefix = prefix + "u:";
        this.events = events;
        pubsub.addListener(this);
    }

    /** Completes once Redis confirmed the subscription. */
    CompletionStage<Void> subscribe(String channel) {
        return pubsub.async().subscribe(channel);
    }

    void unsubscribe(String channel) {
        confirmed.remove(channel);
        pubsub.async().unsubscribe(channel).exceptionally(error -> {
            // Disconnected: Lettuce forgot nothing, so the next reconnect must not bring the channel back.
            log.debug("unsubscribe {} failed: {}", channel, error.toString());
            return null;
        });
    }

    @Override
    public void subscribed(String channel, long count) {
        if (!confirmed.add(channel)) {
            if (channel.startsWith(roomPrefix)) {
                events.roomResubscribed(channel.substring(roomPrefix.length()));
            } else if (channel.startsWith(userPrefix)) {
                events.userResubscribed(channel.substring(userPrefix.length()));
            }
        }
    }

    @Override
    public void message(String channel, String message) {
        try {
            JsonObject m = JsonParser.parseString(message).getAsJsonObject();
            switch (m.get("t").getAsString()) {
                case "m" -> events.roomMessage(new RoomMessage(text(m, "r"), number(m, "s"), number(m, "ts"),
                        text(m, "f"), text(m, "c")), text(m, "o"), optional(m, "k"));
                case "j", "l" -> events.presence(text(m, "r"), text(m, "u"), "j".equals(m.get("t").getAsString()),
                        m.get("n").getAsInt(), number(m, "ts"), text(m, "o"), optional(m, "k"));
                case "p" -> events.privateMessage(new PrivateMessage(0, text(m, "f"), text(m, "to"), number(m, "s"),
                        number(m, "ts"), text(m, "c")));
                case "r" -> events.read(text(m, "to"), text(m, "r"), text(m, "w"), number(m, "s"), text(m, "o"),
                        optional(m, "k"));
                default -> log.warn("unknown message type on {}: {}", channel, m.get("t"));
            }
        } catch (RuntimeException e) {
            // Another program writing to our channels, or a newer chatd: never the end of the subscription.
            log.warn("cannot read a message on {}: {}", channel, e.toString());
        }
    }

    private static String text(JsonObject m, String field) {
        return m.get(field).getAsString();
    }

    private static long number(JsonObject m, String field) {
        return Long.parseLong(m.get(field).getAsString());
    }

    /** A connection id, absent as "" when the sender had none. */
    private static String optional(JsonObject m, String field) {
        JsonElement e = m.get(field);
        return e == null || e.getAsString().isEmpty() ? null : e.getAsString();
    }
}
