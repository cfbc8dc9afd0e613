package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.Chat;
import io.chatd.core.ChatConfig;
import io.chatd.core.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The {@code ack} scenario against a real chat server over loopback sockets. */
@Timeout(60)
class AckCommandTest {

    /** A chat server on a free loopback port, closed with the try block. */
    private static final class Server implements AutoCloseable {
        final Chat chat;
        final EventLoopGroup group;
        final Channel channel;

        Server(UnaryOperator<ChatConfig.Builder> customize) {
            chat = Chat.create(customize.apply(ChatConfig.newBuilder().serveWebClient(false).defaultRoom(""))
                    .build());
            Transports transport = Transports.best();
            group = transport.newGroup(1);
            channel = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true).childHandler(chat.newChannelInitializer())
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        }

        String url() {
            return "ws://127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort() + "/ws";
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            chat.closeAll().awaitUninterruptibly(2, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            chat.close();
        }
    }

    private static AckCommand command(String url, String... args) {
        AckCommand command = new AckCommand();
        new CommandLine(command).parseArgs(args);
        command.url = url;
        return command;
    }

    private static double number(Object value) {
        return ((Number) value).doubleValue();
    }

    @Test
    void aHostileLoopIsAnsweredWithPagesAndEveryMessageInTheWindowIsAckedAndTimed() throws Exception {
        try (Server server = new Server(b -> b.historyRate(0))) {
            AckCommand ack = command(server.url(), "--rate", "50", "--in-flight", "2", "--prefill", "30",
                    "--warmup", "300ms", "--duration", "1s");
            assertNull(ack.problem());
            Report report = ack.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            double sent = number(report.get("sent"));
            assertTrue(sent >= 45 && sent <= 55, "50 a second for a second: " + sent);
            assertEquals(sent, number(report.get("acks")));
            assertEquals(0.0, number(report.get("unacked")));
            assertEquals(0.0, number(report.get("ack_errors")));
            assertTrue(number(report.get("ack_p50_ms")) > 0);
            assertTrue(number(report.get("ack_p99_ms")) >= number(report.get("ack_p50_ms")));
            assertTrue(number(report.get("history_per_s")) > 5, "no limit: the loop gets pages " + report.toJson());
            assertEquals(0.0, number(report.get("history_limited_per_s")));
        }
    }

    @Test
    void atTheDefaultHistoryRateTheLoopIsMostlyRefusedAndKeepsGoing() throws Exception {
        try (Server server = new Server(b -> b)) {
            AckCommand ack = command(server.url(), "--rate", "20", "--in-flight", "1", "--prefill", "5",
                    "--warmup", "300ms", "--duration", "1s");
            Report report = ack.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertTrue(number(report.get("history_per_s")) <= 25, "5 a second after a burst of 20: "
                    + report.toJson());
            assertTrue(number(report.get("history_limited_per_s")) > 10, report.toJson());
            assertEquals(number(report.get("sent")), number(report.get("acks")));
        }
    }

    @Test
    void badFlagsAreUsageErrors() {
        StringWriter err = new StringWriter();
        CommandLine cl = BenchMain.commandLine();
        cl.setErr(new PrintWriter(err));
        assertEquals(BenchMain.EXIT_USAGE, cl.execute("ack", "--rate", "0"));
        assertTrue(err.toString().contains("--rate must be above 0"), err.toString());
        assertEquals(BenchMain.EXIT_USAGE, cl.execute("ack", "--in-flight", "-1"));
        assertEquals(BenchMain.EXIT_USAGE, cl.execute("ack", "--url", "ws://192.0.2.1:8080/ws"));
    }
}
