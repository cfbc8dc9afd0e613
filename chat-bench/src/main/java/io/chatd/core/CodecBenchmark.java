package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-message JSON work of the hot path: decoding one inbound {@code msg} frame and encoding one outbound
 * room message as a ready-to-write WebSocket frame (done once per broadcast, not per member).
 *
 * <pre>java -jar chat-bench/target/chat-bench.jar jmh CodecBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {

    /** Bytes of message content: a typical chat line, and a long paste. */
    @Param({"60", "1000"})
    int contentBytes;

    private String inbound;
    private String content;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    @Setup
    public void setUp() {
        content = "x".repeat(contentBytes);
        inbound = "{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"" + content + "\",\"id\":\"c-123\"}";
    }

    @Benchmark
    public String decodeInboundMessage() throws RequestException {
        ClientRequest request = ClientRequest.parse(inbound);
        request.name("room");
        return request.content(4096);
    }

    @Benchmark
    public int encodeOutboundRoomMessage() {
        ByteBuf frame = ServerMessages.roomMessage(alloc, "lobby", "alice", content, 1_764_000_000_000L, 123_456L);
        int size = frame.readableBytes();
        frame.release();
        return size;
    }
}
