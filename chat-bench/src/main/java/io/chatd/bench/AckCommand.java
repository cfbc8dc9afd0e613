package io.chatd.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code ack}: how long a calm sender waits for its acks while another client of the same room loops over
 * {@code history} as fast as the server answers (issue 10: one client must not delay every user's acks). Two
 * connections: the sender sends {@code --rate} messages a second with ids, open loop, and the ack latency is
 * measured from each message's scheduled time (so a stalled server is not hidden by a sender that waited); the
 * reader keeps {@code --in-flight} history requests outstanding, sending the next as each answer (a page or
 * {@code rate_limited}) arrives. Raise the server's {@code --history-rate} to make the loop hostile; at the
 * default most requests are refused.
 */
@Command(name = "ack", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
        description = {"Ack latency of a calm sender while another client of its room loops over history."})
final class AckCommand implements Callable<Integer> {

    @Option(names = "--url", defaultValue = "ws://127.0.0.1:8080/ws", paramLabel = "URL[,URL...]",
            description = "Server WebSocket URL, or the nodes of a cluster comma-separated: the sender goes to the "
                    + "first, the reader to the second (or the first). Loopback only (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--rate", defaultValue = "20", description = "The sender's messages per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--in-flight", defaultValue = "4",
            description = "History requests the reader keeps outstanding; 0: no reader, the calm baseline "
                    + "(default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--prefill", defaultValue = "200",
            description = "Messages the sender stores in the room first, so every history page is full "
                    + "(default: ${DEFAULT-VALUE}).")
    int prefill;

    @Option(names = "--history-limit", defaultValue = "100",
            description = "Messages asked for per history request (the server caps it at 100) (default: ${DEFAULT-VALUE}).")
    int historyLimit;

    @Option(names = "--size", defaultValue = "200", description = "Content bytes per message (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--room", defaultValue = "ack-bench", description = "The room (default: ${DEFAULT-VALUE}).")
    String room;

    @Option(names = "--duration", defaultValue = "10s", converter = LoadOptions.DurationConverter.class,
            description = "Measured time (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "5s", converter = LoadOptions.DurationConverter.class,
            description = "Sending and reading before the measured window, not counted (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @CommandLine.Mixin
    ServerProcesses server = new ServerProcesses();

    @CommandLine.Spec
    CommandSpec spec;

    /** Time to connect, join and prefill, and for the last acks to arrive. */
    private static final long SETUP_SECONDS = 30;

    @Override
    public Integer call() throws Exception {
        String problem = problem();
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        }
        try {
            Targets.parse(url);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Watchdog.start(warmup.plus(duration).plusSeconds(3 * SETUP_SECONDS));
        Report report = run(System.err);
        System.out.print(report.table());
        System.out.println(report.toJson());
        System.out.flush();
        return BenchRun.EXIT_OK;
    }

    String problem() {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            return "--rate must be above 0";
        }
        if (inFlight < 0) {
            return "--in-flight must not be negative";
        }
        if (prefill < 0 || historyLimit < 1 || size < 1 || size > 4096) {
            return "--prefill must not be negative, --history-limit at least 1, --size 1 to 4096";
        }
        if (!room.matches("[A-Za-z0-9_.-]{1,48}")) {
            return "--room must be 1 to 48 characters of A-Z a-z 0-9 _ . -";
        }
        if (duration.isNegative() || duration.isZero() || warmup.isNegative()) {
            return "--duration must be above 0 and --warmup not negative";
        }
        return server.problem();
    }

    /** Runs the scenario against {@link #url} and returns its figures. */
    Report run(PrintStream progress) throws Exception {
        // Connection 0 is the sender, 1 the reader: on a cluster, on two nodes.
        Targets targets = Targets.parse(url);
        HttpClient http = HttpClient.newHttpClient();
        String content = "x".repeat(size);
        Sender sender = new Sender();
        Reader reader = new Reader();
        Client senderWs = Client.open(http, targets.of(0).toString(), "ack-sender", room, sender::onText);
        Client readerWs = inFlight > 0
                ? Client.open(http, targets.of(1).toString(), "ack-reader", room, reader::onText) : null;
        try {
            progress.printf("prefilling %s with %d messages ...%n", room, prefill);
            for (int i = 0; i < prefill; i++) {
                sender.send(senderWs, "p" + i, content, System.nanoTime()).get(SETUP_SECONDS, TimeUnit.SECONDS);
            }
            if (readerWs != null) {
                reader.start(readerWs, room, historyLimit, inFlight);
            }
            long start = System.nanoTime();
            long windowStart = start + warmup.toNanos();
            long windowEnd = windowStart + duration.toNanos();
            sender.window(windowStart, windowEnd);
            progress.printf("sending %.0f msgs/s: warm-up %.1f s, measuring %.1f s ...%n", rate,
                    warmup.toMillis() / 1000.0, duration.toMillis() / 1000.0);
            double cpuBefore = Double.NaN;
            long historiesBefore = 0;
            long limitedBefore = 0;
            long periodNanos = (long) (1e9 / rate);
            boolean sampled = false;
            for (long k = 0; ; k++) {
                long due = start + k * periodNanos;
                if (due - windowEnd >= 0) {
                    break;
                }
                if (!sampled && due - windowStart >= 0) {
                    sleepUntil(windowStart);
                    sampled = true;
                    cpuBefore = serverCpu();
                    historiesBefore = reader.pages.get();
                    limitedBefore = reader.limited.get();
                }
                sleepUntil(due);
                sender.send(senderWs, "m" + k, content, due);
            }
            sleepUntil(windowEnd);
            double cpuAfter = serverCpu();
            long histories = reader.pages.get() - historiesBefore;
            long limited = reader.limited.get() - limitedBefore;
            sender.awaitAcks(windowEnd + TimeUnit.SECONDS.toNanos(SETUP_SECONDS));
            return figures(targets, sender, histories, limited, cpuAfter - cpuBefore);
        } finally {
            reader.stop();
            senderWs.close();
            if (readerWs != null) {
                readerWs.close();
            }
        }
    }

    private Report figures(Targets targets, Sender sender, long histories, long limited, double serverCpuSeconds) {
        double seconds = duration.toNanos() / 1e9;
        Histogram h = sender.latencyMicros;
        boolean any = h.getTotalCount() > 0;
        Report r = new Report();
        r.note("ack latency of a calm sender against " + targets + " while another client loops over history");
        r.addJson("scenario", "ack");
        r.addJson("url", targets.toString());
        r.add("url_count", "server URLs", targets.size());
        r.add("rate", "sender rate (msgs/s)", rate);
        r.add("in_flight", "history requests in flight", inFlight);
        r.add("prefill", "messages in the room before", prefill);
        r.add("history_limit", "messages per history request", historyLimit);
        r.add("size", "content bytes", size);
        r.add("warmup_s", "warm-up (s)", warmup.toMillis() / 1000.0);
        r.add("duration_s", "measured window (s)", seconds);
        r.add("sent", "sent in the window", sender.sentInWindow);
        r.add("acks", "acked", h.getTotalCount());
        r.add("unacked", "not acked", sender.sentInWindow - h.getTotalCount());
        r.add("ack_errors", "error answers to sends", sender.errors.get());
        r.add("ack_p50_ms", "ack p50 (ms)", any ? h.getValueAtPercentile(50) / 1000.0 : null);
        r.add("ack_p99_ms", "ack p99 (ms)", any ? h.getValueAtPercentile(99) / 1000.0 : null);
        r.add("ack_max_ms", "ack max (ms)", any ? h.getMaxValue() / 1000.0 : null);
        r.add("history_per_s", "history pages answered/s", histories / seconds);
        r.add("history_limited_per_s", "history requests refused (rate_limited)/s", limited / seconds);
        r.add("server_cpu_pct", "server CPU %", !server.any() || Double.isNaN(serverCpuSeconds) ? null
                : serverCpuSeconds * 100 / seconds);
        return r;
    }

    private double serverCpu() {
        return server.any() ? server.read().cpu() : Double.NaN;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** The sending side: ids to their scheduled times, and the latencies of the acks inside the window. */
    static final class Sender {
        final Histogram latencyMicros = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        final AtomicLong errors = new AtomicLong();
        private final ConcurrentHashMap<String, Long> pending = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, CompletableFuture<Void>> acked = new ConcurrentHashMap<>();
        private volatile boolean measuring;
        private volatile long windowStart;
        private volatile long windowEnd;
        long sentInWindow;

        void window(long start, long end) {
            windowStart = start;
            windowEnd = end;
            measuring = true;
        }

        private boolean inWindow(long due) {
            return measuring && due - windowStart >= 0 && due - windowEnd < 0;
        }

        /** Sends message {@code id}, due at {@code due} (System.nanoTime); the future completes on its ack. */
        CompletableFuture<Void> send(Client client, String id, String content, long due) {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            acked.put(id, ack);
            pending.put(id, due);
            if (inWindow(due)) {
                sentInWindow++;
            }
            JsonObject msg = new JsonObject();
            msg.addProperty("type", "msg");
            msg.addProperty("room", client.room);
            msg.addProperty("content", content);
            msg.addProperty("id", id);
            client.send(msg.toString());
            return ack;
        }

        void onText(String text) {
            long now = System.nanoTime();
            if (!text.startsWith("{\"type\":\"ack\"") && !text.startsWith("{\"type\":\"error\"")) {
                return; // join notices, broadcasts: not measured
            }
            JsonObject frame = JsonParser.parseString(text).getAsJsonObject();
            String id = frame.has("id") ? frame.get("id").getAsString() : null;
            if (frame.get("type").getAsString().equals("error")) {
                errors.incrementAndGet();
            }
            Long due = id == null ? null : pending.remove(id);
            if (due == null) {
                return;
            }
            if (frame.get("type").getAsString().equals("ack") && inWindow(due)) {
                synchronized (latencyMicros) {
                    latencyMicros.recordValue(Math.min(latencyMicros.getHighestTrackableValue(),
                            Math.max(0, (now - due) / 1000)));
                }
            }
            CompletableFuture<Void> ack = acked.remove(id);
            if (ack != null) {
                ack.complete(null);
            }
        }

        /** Waits until every message sent has its answer, or until {@code deadline}. */
        void awaitAcks(long deadline) throws InterruptedException {
            while (!pending.isEmpty() && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
        }
    }

    /** The looping side: each answer to a history request sends the next one. */
    static final class Reader {
        final AtomicLong pages = new AtomicLong();
        final AtomicLong limited = new AtomicLong();
        private volatile Client client;
        private volatile boolean stopped;
        private String request;

        void start(Client client, String room, int limit, int inFlight) {
            JsonObject history = new JsonObject();
            history.addProperty("type", "history");
            history.addProperty("room", room);
            history.addProperty("limit", limit);
            history.addProperty("id", "h");
            this.request = history.toString();
            this.client = client;
            for (int i = 0; i < inFlight; i++) {
                client.send(request);
            }
        }

        void stop() {
            stopped = true;
        }

        void onText(String text) {
            boolean answer;
            if (text.startsWith("{\"type\":\"history\"")) {
                pages.incrementAndGet();
                answer = true;
            } else if (text.startsWith("{\"type\":\"error\"") && text.contains("\"rate_limited\"")) {
                limited.incrementAndGet();
                answer = true;
            } else {
                answer = false; // the sender's broadcasts, join notices
            }
            Client c = client;
            if (answer && c != null && !stopped) {
                c.send(request);
            }
        }
    }

    /** One WebSocket connection, joined to a room; sends are chained, as the JDK client requires. */
    static final class Client {
        final String room;
        private final WebSocket ws;
        private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

        private Client(String room, WebSocket ws) {
            this.room = room;
            this.ws = ws;
        }

        /** Connects as {@code user} and returns once the server confirmed the join of {@code room}. */
        static Client open(HttpClient http, String url, String user, String room, Consumer<String> onText)
                throws Exception {
            CountDownLatch joined = new CountDownLatch(1);
            String joinPrefix = "{\"type\":\"join\"";
            String userField = "\"user\":\"" + user + "\"";
            WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(url + (url.contains("?") ? "&" : "?")
                    + "user=" + user), new WebSocket.Listener() {
                        private final StringBuilder partial = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            partial.append(data);
                            if (last) {
                                String text = partial.toString();
                                partial.setLength(0);
                                if (text.startsWith(joinPrefix) && text.contains(userField)) {
                                    joined.countDown();
                                }
                                onText.accept(text);
                            }
                            w.request(1);
                            return null;
                        }
                    }).get(SETUP_SECONDS, TimeUnit.SECONDS);
            Client client = new Client(room, ws);
            client.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            if (!joined.await(SETUP_SECONDS, TimeUnit.SECONDS)) {
                ws.abort();
                throw new IllegalStateException(user + " could not join " + room + " within " + SETUP_SECONDS + " s");
            }
            return client;
        }

        synchronized void send(String text) {
            lastSend = lastSend.thenCompose(x -> ws.sendText(text, true));
        }

        void close() {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                ws.abort();
            }
        }
    }
}
