package io.chatd.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server for tests, a child process on a free loopback port, in its own directory. It can be stopped
 * and started again on the same port, as an operator's restart is. scripts/test installs redis-server; without it
 * these tests fail rather than skip, as a cluster nobody tested must not pass for one that works.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final Path dir;
    private final boolean persistent;
    private Process process;

    private RedisServer(int port, Path dir, boolean persistent) {
        this.port = port;
        this.dir = dir;
        this.persistent = persistent;
    }

    /**
     * Starts a redis-server; {@code persistent}: with an append-only file fsynced on every write, so that a restart
     * keeps every acked message (the configuration docs/operations.md recommends), else nothing survives a restart.
     */
    public static RedisServer start(boolean persistent) throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        RedisServer server = new RedisServer(port, Files.createTempDirectory("chatd-redis"), persistent);
        server.start();
        return server;
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server (again) on its port; returns once it answers PING. */
    public void start() throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--daemonize", "no"));
        command.addAll(persistent ? List.of("--appendonly", "yes", "--appendfsync", "always")
                : List.of("--appendonly", "no"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (answersPing()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        throw new IOException("redis-server did not answer on port " + port + "; see " + dir.resolve("redis.log"));
    }

    private boolean answersPing() {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int n = in.read(reply);
            return n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends one command and returns the first line of the reply (enough for status and integer replies). */
    public String call(String... args) throws IOException {
        StringBuilder command = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            command.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
        }
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(command.toString().getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\r'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    /** Stops the server as SIGTERM does (an append-only file is complete). */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
