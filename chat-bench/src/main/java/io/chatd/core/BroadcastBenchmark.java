package io.chatd.core;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU cost of one room broadcast to N members, without the network: numbering, encoding once, and writing
 * a duplicate through each member's pipeline down to a sink that releases it. Divide by N for the cost per
 * delivery before the syscall.
 *
 * <pre>java -jar chat-bench/target/chat-bench.jar jmh BroadcastBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BroadcastBenchmark {

    @Param({"10", "100", "1000"})
    int members;

    private Chat chat;
    /** The channel whose embedded event loop stands for the one loop every member lives on. */
    private EmbeddedChannel loop;
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final String content = "x".repeat(60);

    /** Stands in for the socket: the pipeline's first handler, releasing whatever reaches it. */
    private static final class Sink extends ChannelOutboundHandlerAdapter {
        long writes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            writes++;
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }

        @Override
        public boolean isSharable() {
            return true;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        chat = Chat.create(ChatConfig.newBuilder().defaultRoom("").flushInterval(Duration.ZERO).serveWebClient(false).build());
        Sink sink = new Sink();
        LoopFlusher flusher = null;
        Heartbeats heartbeats = null;
        for (int i = 0; i < members; i++) {
            // Distinct ids: a ChannelGroup holds channels by id, and every EmbeddedChannel has the same default one.
            EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), sink);
            // One flusher (and heartbeat sweep) for all, as if every member lived on one event loop: one shard, as
            // in a real server.
            if (flusher == null) {
                flusher = chat.flusherFor(ch.eventLoop());
                heartbeats = chat.heartbeatsFor(ch.eventLoop());
                loop = ch;
            }
            Connection connection = new Connection(ch, "u" + i, flusher, heartbeats);
            chat.opened(connection);
            connection.joined("bench");
            chat.rooms().join(connection, "bench");
            channels.add(ch);
        }
        channels.forEach(EmbeddedChannel::runPendingTasks);
        // A benchmark that reaches nobody measures nothing: check one broadcast reaches every member.
        long before = sink.writes;
        broadcastToRoom();
        if (sink.writes - before != members) {
            throw new IllegalStateException("one broadcast made " + (sink.writes - before) + " writes, expected " + members);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        chat.close();
    }

    @Benchmark
    public void broadcastToRoom() {
        // Persisting goes to the store thread; what this measures is the room loop's share of the work.
        chat.rooms().publish(null, "bench", "alice", content, null, null, chat.recentIds(), null);
        loop.runPendingTasks(); // the flush pass, a task on the embedded loop
    }
}
