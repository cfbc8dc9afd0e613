package io.chatd.server;

import io.chatd.core.Chat;
import io.chatd.core.ChatStats;
import io.chatd.core.ErrorCode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's Prometheus metrics. Chat counts in the {@link ChatStats} adders it always keeps; the meters here
 * only read them at scrape time, so serving {@code /metrics} adds nothing to a message's path. The one meter fed
 * as it happens is the store commit histogram, recorded on the store thread once per group commit.
 */
final class ChatMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    ChatMetrics(Chat chat) {
        ChatStats stats = chat.stats();
        Gauge.builder("chatd.connections", chat, Chat::connectionCount)
                .description("Open WebSocket connections").register(registry);
        Gauge.builder("chatd.users", chat, Chat::userCount)
                .description("Users with at least one open connection").register(registry);
        Gauge.builder("chatd.rooms", chat, Chat::roomCount)
                .description("Rooms with at least one member").register(registry);
        FunctionCounter.builder("chatd.messages", stats, ChatStats::roomMessages).tag("type", "room")
                .description("Messages published").register(registry);
        FunctionCounter.builder("chatd.messages", stats, ChatStats::privateMessages).tag("type", "private")
                .description("Messages published").register(registry);
        FunctionCounter.builder("chatd.deliveries", stats, ChatStats::deliveries)
                .description("Messages queued to a connection: a room message to N members counts N").register(registry);
        FunctionCounter.builder("chatd.presence.frames", stats, ChatStats::presenceFrames)
                .description("Join, leave and presence frames queued to connections: one to N members counts N")
                .register(registry);
        for (ChatStats.DisconnectReason reason : ChatStats.DisconnectReason.values()) {
            FunctionCounter.builder("chatd.disconnects", stats, s -> s.disconnects(reason))
                    .tag("reason", reason.label())
                    .description("WebSocket connections ended, by reason").register(registry);
        }
        for (ChatStats.HandshakeResult result : ChatStats.HandshakeResult.values()) {
            FunctionCounter.builder("chatd.handshakes", stats, s -> s.handshakes(result))
                    .tag("result", result.label())
                    .description("WebSocket handshakes, accepted (ok) or refused with an HTTP status").register(registry);
        }
        for (ErrorCode code : ErrorCode.values()) {
            FunctionCounter.builder("chatd.errors", stats, s -> s.errorsSent(code))
                    .tag("code", code.wireName())
                    .description("Error frames sent, by code").register(registry);
        }
        if (chat.cluster() != null) {
            Gauge.builder("chatd.cluster.up", chat.cluster(), c -> c.answering() ? 1 : 0)
                    .description("1 while the cluster (Redis) answers, 0 while it is away").register(registry);
            FunctionCounter.builder("chatd.cluster.gap", stats, ChatStats::clusterGapFilled).tag("outcome", "filled")
                    .description("Room messages missed on the subscription: read from the history (filled), or "
                            + "no longer there (lost)").register(registry);
            FunctionCounter.builder("chatd.cluster.gap", stats, ChatStats::clusterGapLost).tag("outcome", "lost")
                    .description("Room messages missed on the subscription: read from the history (filled), or "
                            + "no longer there (lost)").register(registry);
        }
        Gauge.builder("chatd.store.queue", stats, ChatStats::storeQueue)
                .description("Operations waiting for the store thread").register(registry);
        Timer commits = Timer.builder("chatd.store.commit")
                .description("Latency of one group commit of the store")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        stats.observeStoreCommits(nanos -> commits.record(nanos, TimeUnit.NANOSECONDS));
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The Prometheus text exposition of every meter. */
    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
