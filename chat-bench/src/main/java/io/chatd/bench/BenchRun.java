package io.chatd.bench;

import io.chatd.core.Transports;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * One bench run, phase by phase, each bounded in time: connect (all connections upgraded and joined within
 * {@code --connect-timeout}), then for each rate a step of warm-up, measured window and drain, or for
 * {@code idle} a hold; then close. The main thread only sleeps, samples {@code /proc} at the window's edges and
 * talks to the single event loop through tasks, which is where all the I/O happens.
 */
final class BenchRun {

    /** What makes a sweep step hold. */
    record Criteria(double maxLossPercent, double maxP99Millis, boolean keepGoing) {
    }

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;

    /** Lead time between planning a step and its first message, so the loop is not late from the start. */
    private static final long START_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** memory: the servers count as quiet once they used less than this share of one core over the window. */
    private static final double QUIET_CORE_SHARE = 0.05;
    private static final long QUIET_WINDOW_MILLIS = 1000;

    /** After all connections are up, idle waits this long before reading the server's RSS. */
    private static final long IDLE_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long LOOP_CALL_TIMEOUT_SECONDS = 10;
    private static final long CLOSE_WAIT_MILLIS = 2000;
    /** The event loop thread above this share of one core means the figures describe the bench, not the server. */
    private static final double SATURATED_PERCENT = 90;

    private final LoadOptions options;
    private final Scenario scenario;
    private final Targets targets;
    private final Topology topology;
    private final Transports transport = Transports.best();
    private final PrintStream progress;

    private EventLoop loop;
    private long loopThreadId;
    private Connections connections;
    private StormClients stormClients;

    BenchRun(LoadOptions options, Scenario scenario, Targets targets, Topology topology, PrintStream progress) {
        this.options = options;
        this.scenario = scenario;
        this.targets = targets;
        this.topology = topology;
        this.progress = progress;
    }

    /** The most time a run of {@code scenario} may take, for the {@link Watchdog}. */
    static Duration budget(LoadOptions o, Scenario scenario) {
        Duration perConnect = o.connectTimeout.plus(o.settle).plusSeconds(10);
        return switch (scenario) {
            case STORM -> perConnect.multipliedBy(o.rounds).plusSeconds(60);
            case MEMORY -> perConnect.plus(o.quietWait).multipliedBy(2).plusSeconds(60);
            case RESTART -> perConnect.multipliedBy(2).plus(o.duration).plus(o.restartWait).plusSeconds(60);
            default -> budget(o, 1);
        };
    }

    /** The most time a run of {@code steps} steps may take, for the {@link Watchdog}. */
    static Duration budget(LoadOptions o, int steps) {
        Duration perStep = o.warmup.plus(o.duration).plus(o.drainTimeout).plusSeconds(30);
        return o.connectTimeout.plus(o.handshakeTimeout).plus(perStep.multipliedBy(steps)).plusSeconds(60);
    }

    /**
     * Runs the scenario once per rate (one rate: a plain run; several: a sweep judged by {@code criteria}),
     * prints the report to {@code out} and returns the exit status.
     */
    int run(List<Double> rates, Criteria criteria, PrintWriter out) throws Exception {
        Report report = new Report();
        describe(report, criteria != null);
        int status;
        EventLoopGroup group = transport.newGroup(1);
        try {
            loop = group.next();
            loopThreadId = onLoop(() -> Thread.currentThread().getId());
            long rssBefore = serverRss();
            if (options.server.any()) {
                report.add("server_rss_before_kib", "server RSS before connecting (KiB)", rssBefore);
            }
            if (scenario == Scenario.STORM) {
                status = storm(report);
            } else if (scenario == Scenario.RESTART) {
                status = restart(report);
            } else if (scenario == Scenario.MEMORY) {
                status = memory(report, rssBefore);
            } else if (!connect(report)) {
                report.note("FAILED: not every connection got ready (see the failure reasons); no traffic was sent");
                report.addJson("error", "connect phase failed");
                status = EXIT_FAILED;
            } else if (scenario == Scenario.IDLE) {
                hold(report, rssBefore);
                status = EXIT_OK;
            } else if (criteria == null) {
                report.append(step(rates.get(0)));
                status = EXIT_OK;
            } else {
                sweep(report, rates, criteria);
                status = EXIT_OK;
            }
        } finally {
            closeAll();
            closeStormClients();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
        out.print(report.table());
        out.println(report.toJson());
        out.flush();
        return status;
    }

    private void describe(Report r, boolean sweep) {
        r.note((sweep ? "sweep of " : "") + scenario.wireName() + " against " + targets + " ("
                + transport.name().toLowerCase(Locale.ROOT) + ")");
        r.addJson("scenario", sweep ? "sweep" : scenario.wireName());
        if (sweep) {
            r.addJson("sweep_scenario", scenario.wireName());
        }
        r.addJson("url", targets.toString());
        r.add("url_count", "server URLs (connection i to URL i mod N)", targets.size());
        r.addJson("transport", transport.name().toLowerCase(Locale.ROOT));
        r.add("connections", "connections", topology.connections);
        r.add("users", "distinct users", topology.users);
        if (scenario == Scenario.FANOUT) {
            r.add("senders", "senders", topology.senders);
        }
        if (scenario == Scenario.FANOUT || scenario == Scenario.ROOMS) {
            r.add("rooms", "rooms", topology.roomCount());
        }
        if (scenario == Scenario.ROOMS) {
            r.add("room_size", "members per room", topology.roomSize);
        }
        if (scenario == Scenario.STORM) {
            r.add("round_count", "rounds", options.rounds);
        }
        if (scenario == Scenario.MEMORY) {
            r.add("held", "connections held", options.connections);
            r.add("added", "connections added", options.add);
        }
        if (scenario.keepsDefaultRooms()) {
            r.add("max_handshakes", "attempts in flight at most",
                    options.maxHandshakes == Integer.MAX_VALUE ? null : options.maxHandshakes);
            r.add("handshake_timeout_s", "attempt timeout (s)", options.handshakeTimeout.toMillis() / 1000.0);
        }
        if (scenario.sends()) {
            r.add("size", "content bytes", options.size);
            r.add("warmup_s", "warm-up (s)", options.warmup.toMillis() / 1000.0);
        }
        if (scenario.sends() || scenario == Scenario.IDLE || scenario == Scenario.RESTART) {
            r.add("duration_s", scenario.sends() ? "measured window (s)" : "hold (s)", options.duration.toMillis() / 1000.0);
        }
        r.addJson("server_pids", options.server.servers);
        if (!options.server.extras.isEmpty()) {
            r.addJson("extra_pids", options.server.extras);
        }
    }

    // ---- connect ----

    private List<InetSocketAddress> sources() {
        List<InetSocketAddress> sources = new ArrayList<>();
        if (options.sourceAddresses > 1) {
            for (int i = 1; i <= options.sourceAddresses; i++) {
                sources.add(new InetSocketAddress("127.0.0." + i, 0));
            }
        }
        return sources;
    }

    private boolean connect(Report r) throws Exception {
        connections = new Connections(loop, transport, targets, topology, new FrameWriter(options.size), sources(),
                options.maxHandshakes, options.handshakeTimeout.toMillis());
        return connectUpTo(r, topology.connections);
    }

    /** Connects the connections up to {@code count} and reports how it went; true when all of them are ready. */
    private boolean connectUpTo(Report r, int count) throws Exception {
        progress.printf("connecting %d connections to %s ...%n", count, targets);
        long start = System.nanoTime();
        CompletableFuture<Void> settled = connections.connectUpTo(count);
        try {
            settled.get(options.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            onLoop(() -> {
                connections.abandonUnready("not ready within --connect-timeout");
                return null;
            });
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Connections c = connections;
        Map<String, Integer> reasons = onLoop(() -> new LinkedHashMap<>(c.failureReasons));
        int ready = onLoop(() -> c.ready);
        int handshakes = onLoop(() -> c.handshakes);
        Histogram hs = onLoop(() -> c.handshakeMicros.copy());
        double rate = onLoop(c::handshakeRate);
        int defaultRoomLeaves = onLoop(() -> c.context.defaultRoomLeaves);
        int[] readyPerUrl = onLoop(c::readyPerTarget);
        progress.printf("%d of %d ready in %.1f s%n", ready, count, seconds);

        r.note("connect");
        r.add("connected", "ready", ready);
        r.add("connect_failures", "failed", count - ready);
        if (readyPerUrl.length > 1) {
            r.add("ready_per_url", "ready per URL", Arrays.stream(readyPerUrl).boxed().toList());
        }
        if (!reasons.isEmpty()) {
            r.add("connect_failure_reasons", "failure reasons", reasons);
        }
        r.add("connect_s", "connect phase (s)", seconds);
        r.add("handshakes_per_s", "handshakes/s", rate);
        r.add("handshake_p50_ms", "handshake p50 (ms)", handshakes == 0 ? null : hs.getValueAtPercentile(50) / 1000.0);
        r.add("handshake_p99_ms", "handshake p99 (ms)", handshakes == 0 ? null : hs.getValueAtPercentile(99) / 1000.0);
        r.add("handshake_max_ms", "handshake max (ms)", handshakes == 0 ? null : hs.getMaxValue() / 1000.0);
        if (defaultRoomLeaves > 0) {
            r.add("default_room_leaves", "default-room leaves", defaultRoomLeaves);
            r.note("  WARNING: the server put connections in a default room; run it with --default-room '' "
                    + "so its join/leave traffic does not load the server");
        }
        return ready == count;
    }

    // ---- storm, restart, memory ----

    /** {@code --rounds} storms of every client at once; the first on a fresh server is cold, the others warm. */
    private int storm(Report r) throws Exception {
        stormClients = newStormClients();
        List<Map<String, Object>> rounds = new ArrayList<>();
        boolean allUp = true;
        for (int k = 0; k < options.rounds; k++) {
            if (k > 0) {
                closeStormClients();
                sleepUntil(System.nanoTime() + options.settle.toNanos()); // the server handles the closes
            }
            // The rounds: cold on a fresh JVM, warm the second; later ones show the cost once the JIT
            // has compiled what a storm makes hot (on one core it still competes with the second round).
            String name = k == 0 ? "cold" : k == 1 ? "warm" : "warm " + (k + 1);
            Report round = stormRound(name);
            round.addJson("round", name);
            r.note("round " + (k + 1) + " (" + name + ")");
            r.appendRows(round); // the JSON lists the rounds under "rounds"
            rounds.add(new LinkedHashMap<>(round.fields()));
            allUp &= Integer.valueOf(0).equals(round.get("not_up"));
        }
        r.addJson("rounds", rounds);
        if (!allUp) {
            r.note("FAILED: not every client connected within --connect-timeout (see the failure reasons)");
        }
        return allUp ? EXIT_OK : EXIT_FAILED;
    }

    /** One storm: every client connects now; figures once all are up (or at --connect-timeout), plus --settle. */
    private Report stormRound(String name) throws Exception {
        StormClients clients = stormClients;
        progress.printf("storm (%s): %d clients connecting at once to %s ...%n", name, clients.size(), targets);
        long start = System.nanoTime();
        double compilerBefore = options.server.serverCompilerCpu();
        Sample a = sample(start);
        StormClients.Round round = onLoop(() -> clients.storm(name));
        awaitUntil(round.allUp, round.startNanos + options.connectTimeout.toNanos());
        Report r = onLoop(() -> {
            clients.stopRetrying();
            clients.endRound();
            return roundFigures(round, clients.upCount(), clients.size());
        });
        progress.printf("%s of %d up in %.1f s%n", r.get("up"), clients.size(), (System.nanoTime() - start) / 1e9);
        sleepUntil(System.nanoTime() + options.settle.toNanos());
        Sample b = sample(System.nanoTime());
        addCpu(r, a, b, -1);
        if (options.server.any()) {
            double serverCpu = b.server.cpu() - a.server.cpu();
            r.add("server_cpu_us_per_handshake", "server CPU per handshake (us)",
                    round.handshakes == 0 ? null : serverCpu * 1e6 / round.handshakes);
            double compiler = options.server.serverCompilerCpu() - compilerBefore;
            r.add("server_jit_us_per_handshake", "  of which JIT compiler threads (us)",
                    round.handshakes == 0 ? null : compiler * 1e6 / round.handshakes);
        }
        return r;
    }

    /**
     * Connects every client and holds them for --duration, then writes --ready-file and waits for the server to
     * close them (a restart); reports how the clients came back, from the first close until the last is up.
     */
    private int restart(Report r) throws Exception {
        stormClients = newStormClients();
        Report initial = stormRound("connect");
        r.note("initial connect");
        r.appendPrefixed("connect_", initial);
        if (!Integer.valueOf(0).equals(initial.get("not_up"))) {
            r.note("FAILED: not every client connected within --connect-timeout; no restart measured");
            r.addJson("error", "connect phase failed");
            return EXIT_FAILED;
        }
        StormClients clients = stormClients;
        progress.printf("holding %d clients for %.1f s ...%n", clients.size(), options.duration.toMillis() / 1000.0);
        sleepUntil(System.nanoTime() + options.duration.toNanos());
        CompletableFuture<StormClients.Round> restarted = onLoop(clients::awaitRestart);
        if (options.readyFile != null) {
            Files.writeString(options.readyFile, clients.size() + " connected\n");
        }
        progress.printf("ready: restart the server now; waiting up to %d s for it to close the connections ...%n",
                options.restartWait.toSeconds());
        StormClients.Round round;
        try {
            round = restarted.get(options.restartWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            r.note("FAILED: the server did not close the connections within --restart-wait");
            r.addJson("error", "no restart");
            return EXIT_FAILED;
        }
        progress.println("the server closed a connection: clients reconnecting ...");
        awaitUntil(round.allUp, round.startNanos + options.connectTimeout.toNanos());
        Report back = onLoop(() -> {
            clients.stopRetrying();
            clients.endRound();
            Report f = roundFigures(round, clients.upCount(), clients.size());
            f.add("back_s", "all back after the first close (s)",
                    f.get("not_up").equals(0) ? (round.lastUpNanos - round.startNanos) / 1e9 : null);
            f.add("back_after_first_s", "all back after the first one back (s)",
                    f.get("not_up").equals(0) ? (round.lastUpNanos - round.firstUpNanos) / 1e9 : null);
            f.add("closes", "close codes", new LinkedHashMap<>(clients.context.current.closes));
            return f;
        });
        progress.printf("%s of %d back%n", back.get("up"), clients.size());
        r.note("reconnect after the restart");
        r.append(back);
        return back.get("not_up").equals(0) ? EXIT_OK : EXIT_FAILED;
    }

    /** The figures of one round; runs on the loop. */
    private static Report roundFigures(StormClients.Round round, int upNow, int clients) {
        Report r = new Report();
        Histogram hs = round.handshakeMicros;
        Histogram up = round.upMillis;
        boolean anyHs = hs.getTotalCount() > 0;
        boolean anyUp = up.getTotalCount() > 0;
        r.add("clients", "clients", clients);
        r.add("up", "up at the end", upNow);
        r.add("not_up", "not up (failed)", clients - upNow);
        r.add("attempts", "connection attempts", round.attempts);
        r.add("failed_attempts", "failed attempts (retried)", round.failedAttempts);
        if (!round.failureReasons.isEmpty()) {
            r.add("failure_reasons", "failure reasons", StormClients.reasons(round));
        }
        if (round.closedByServer > 0) {
            r.add("closed_by_server", "open connections closed by the server", round.closedByServer);
            r.add("advised_window_ms", "reconnect window the server advised (ms)",
                    round.advisedMillis < 0 ? null : round.advisedMillis);
        }
        r.add("storm_s", "time until all up (s)",
                upNow == clients && round.lastUpNanos != 0 ? (round.lastUpNanos - round.startNanos) / 1e9 : null);
        r.add("handshakes_per_s", "clients up per second", round.upRate());
        r.add("handshake_p50_ms", "handshake p50 (ms)", anyHs ? hs.getValueAtPercentile(50) / 1000.0 : null);
        r.add("handshake_p99_ms", "handshake p99 (ms)", anyHs ? hs.getValueAtPercentile(99) / 1000.0 : null);
        r.add("handshake_max_ms", "handshake max (ms)", anyHs ? hs.getMaxValue() / 1000.0 : null);
        r.add("up_p50_ms", "time to welcome p50, retries included (ms)",
                anyUp ? (double) up.getValueAtPercentile(50) : null);
        r.add("up_p99_ms", "time to welcome p99, retries included (ms)",
                anyUp ? (double) up.getValueAtPercentile(99) : null);
        return r;
    }

    private StormClients newStormClients() {
        return new StormClients(loop, transport, targets, topology, new FrameWriter(options.size), sources(),
                options.maxHandshakes, options.handshakeTimeout.toMillis());
    }

    /** Closes every storm client, waiting boundedly for their channels to close. */
    private void closeStormClients() throws InterruptedException {
        StormClients c = stormClients;
        if (c == null) {
            return;
        }
        progress.println("closing ...");
        try {
            onLoop(() -> {
                c.closeAll();
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
            while (System.nanoTime() - deadline < 0 && onLoop(c::stillOpen) > 0) {
                Thread.sleep(20);
            }
        } catch (Exception e) {
            progress.println("closing: " + e); // the group shutdown closes whatever is left
        }
    }

    /**
     * Memory: RSS with no connection (the fixed part), after --connections and after --add more, each read once the
     * server has been quiet for --settle; the growth per added connection is what one more idle connection costs
     * the server.
     */
    private int memory(Report r, long rssFixed) throws Exception {
        int held = options.connections;
        connections = new Connections(loop, transport, targets, topology, new FrameWriter(options.size), sources(),
                options.maxHandshakes, options.handshakeTimeout.toMillis());
        Report first = new Report();
        boolean ok = connectUpTo(first, held);
        r.note("hold " + held);
        r.appendPrefixed("held_", first);
        if (!ok) {
            r.addJson("error", "connect phase failed");
            return EXIT_FAILED;
        }
        r.add("held_quiet_after_s", "RSS read after (s; -1: never quiet within --quiet-wait)", awaitQuietServer());
        long rssHeld = serverRss();
        Report second = new Report();
        ok = connectUpTo(second, topology.connections);
        r.note("add " + options.add);
        r.appendPrefixed("added_", second);
        if (!ok) {
            r.addJson("error", "connect phase failed");
            return EXIT_FAILED;
        }
        Sample a = sample(System.nanoTime());
        r.add("added_quiet_after_s", "RSS read after (s; -1: never quiet within --quiet-wait)", awaitQuietServer());
        long rssAll = serverRss();
        int lost = onLoop(() -> connections.lost);
        r.note("memory");
        r.add("lost_connections", "closed by the server", lost);
        if (options.server.any()) {
            boolean known = rssFixed >= 0 && rssHeld >= 0 && rssAll >= 0;
            r.add("server_rss_fixed_kib", "server RSS with no connection (KiB)", rssFixed < 0 ? null : rssFixed);
            r.add("server_rss_held_kib", "server RSS with " + held + " (KiB)", rssHeld < 0 ? null : rssHeld);
            r.add("server_rss_all_kib", "server RSS with " + topology.connections + " (KiB)",
                    rssAll < 0 ? null : rssAll);
            r.add("server_rss_per_held_conn_bytes", "server RSS per connection, first " + held + " (bytes)",
                    known ? (rssHeld - rssFixed) * 1024.0 / held : null);
            r.add("server_rss_per_added_conn_bytes", "server RSS per added connection (bytes)",
                    known ? (rssAll - rssHeld) * 1024.0 / options.add : null);
        }
        addCpu(r, a, sample(System.nanoTime()), -1);
        return lost == 0 ? EXIT_OK : EXIT_FAILED;
    }

    /**
     * Waits until the servers have used under {@link #QUIET_CORE_SHARE} of a core in every second of the last
     * --settle (at least one second), for at most --quiet-wait; returns the seconds that took, or -1 if they never
     * were. The compilations a connect burst sets off, and the first heartbeat pings 25 s later, hold tens of MB of
     * native memory while they run, which the JVM gives back seconds after (its chunk pool is emptied every 5 s,
     * and a JVM that trims its native heap returns it to the OS). Read sooner, that memory counts as the
     * connections' RSS in some runs and not in others.
     */
    private double awaitQuietServer() throws InterruptedException {
        if (!options.server.any()) {
            return 0;
        }
        long windows = Math.max(1, options.settle.toMillis() / QUIET_WINDOW_MILLIS);
        long start = System.nanoTime();
        long deadline = start + options.quietWait.toNanos();
        double before = options.server.read().cpu();
        long quiet = 0;
        while (System.nanoTime() - deadline < 0) {
            Thread.sleep(QUIET_WINDOW_MILLIS);
            double now = options.server.read().cpu();
            if (Double.isNaN(now)) {
                return -1; // the server exited
            }
            quiet = now - before < QUIET_CORE_SHARE * QUIET_WINDOW_MILLIS / 1000.0 ? quiet + 1 : 0;
            if (quiet == windows) {
                return (System.nanoTime() - start) / 1e9;
            }
            before = now;
        }
        return -1;
    }

    // ---- idle ----

    /** Holds every connection for --duration; reads the server's RSS after the first 2 s. */
    private void hold(Report r, long rssBefore) throws Exception {
        long start = System.nanoTime();
        long holdEnd = start + Math.max(options.duration.toNanos(), IDLE_SETTLE_NANOS);
        Sample a = sample(start);
        progress.printf("holding for %.1f s ...%n", (holdEnd - start) / 1e9);
        sleepUntil(start + IDLE_SETTLE_NANOS);
        long rssAfter = serverRss();
        sleepUntil(holdEnd);
        Sample b = sample(System.nanoTime());
        Measurement m = swapMeasurement(Measurement.eventsOnly());
        int lost = onLoop(() -> connections.lost);

        r.note("hold");
        r.add("lost_connections", "closed by the server", lost);
        r.add("closes", "close codes", new LinkedHashMap<>(m.closes));
        r.add("server_errors", "server errors", m.serverErrors);
        if (options.server.any()) {
            boolean known = rssBefore >= 0 && rssAfter >= 0;
            r.add("server_rss_kib", "server RSS after 2 s (KiB)", rssAfter < 0 ? null : rssAfter);
            r.add("server_rss_growth_kib", "server RSS growth (KiB)", known ? rssAfter - rssBefore : null);
            r.add("server_rss_per_conn_bytes", "server RSS per connection (bytes)",
                    known ? (rssAfter - rssBefore) * 1024.0 / topology.connections : null);
        }
        addCpu(r, a, b, -1);
    }

    // ---- traffic ----

    private void sweep(Report r, List<Double> rates, Criteria criteria) throws Exception {
        List<Map<String, Object>> steps = new ArrayList<>();
        Double best = null;
        r.note(String.format(Locale.ROOT, "%10s %10s %12s %8s %9s %9s %8s %8s %6s  %s",
                "rate", "sent/s", "deliveries/s", "loss %", "p50 ms", "p99 ms", "gen %", "srv %", "holds", "note"));
        for (double rate : rates) {
            Report step = step(rate);
            double loss = number(step.get("loss_pct"));
            double p99 = number(step.get("p99_ms"));
            long expected = (long) number(step.get("expected"));
            boolean holds = expected > 0 && loss <= criteria.maxLossPercent() && p99 <= criteria.maxP99Millis();
            step.addJson("holds", holds);
            steps.add(step.fields());
            int lost = (int) number(step.get("lost_connections"));
            String note = lost > 0 ? lost + " connections lost" : Boolean.TRUE.equals(step.get("generator_saturated"))
                    ? "generator saturated" : "";
            r.note(String.format(Locale.ROOT, "%10.0f %10.0f %12.0f %8.3f %9.2f %9.2f %8.1f %8.1f %6s  %s",
                    rate, number(step.get("sent_per_s")), number(step.get("deliveries_per_s")), loss,
                    number(step.get("p50_ms")), p99, number(step.get("gen_loop_cpu_pct")),
                    number(step.get("server_cpu_pct")), holds ? "yes" : "NO", note));
            if (holds) {
                best = best == null ? rate : Math.max(best, rate);
            }
            if (lost > 0) {
                r.note("  stopping: connections were closed, later steps would not be comparable");
                break;
            }
            if (!holds && !criteria.keepGoing()) {
                break;
            }
        }
        r.add("max_loss_pct", "criterion: loss % at most", criteria.maxLossPercent());
        r.add("max_p99_ms", "criterion: p99 ms at most", criteria.maxP99Millis());
        r.add("highest_holding_rate", "highest rate that holds (msgs/s)", best);
        r.addJson("steps", steps);
    }

    /** One warm-up, measured window and drain at {@code rate}; its figures. */
    private Report step(double rate) throws Exception {
        long start = System.nanoTime() + START_DELAY_NANOS;
        long windowStart = start + options.warmup.toNanos();
        long windowEnd = windowStart + options.duration.toNanos();
        Measurement m = new Measurement(windowStart, windowEnd);
        swapMeasurement(m);
        int lostBefore = onLoop(() -> connections.lost);
        Generator generator = new Generator(loop, connections, new Schedule(rate, start), windowEnd, m);
        progress.printf("rate %.0f msgs/s: warm-up %.1f s, measuring %.1f s ...%n", rate,
                options.warmup.toMillis() / 1000.0, options.duration.toMillis() / 1000.0);
        CompletableFuture<Long> done = generator.start();
        sleepUntil(windowStart);
        Sample a = sample(windowStart);
        sleepUntil(windowEnd);
        Sample b = sample(windowEnd);

        long drainDeadline = System.nanoTime() + options.drainTimeout.toNanos();
        boolean generatorDone = awaitUntil(done, drainDeadline);
        if (!generatorDone) {
            generator.stop(); // the loop is so far behind that the schedule did not finish: report what got out
        }
        while (System.nanoTime() - drainDeadline < 0 && onLoop(() -> m.receivedUnique() < m.expected)) {
            Thread.sleep(10);
        }
        swapMeasurement(Measurement.eventsOnly()); // from here on the loop no longer touches m
        int lost = onLoop(() -> connections.lost) - lostBefore;
        return figures(rate, m, a, b, lost, generatorDone);
    }

    private Report figures(double rate, Measurement m, Sample a, Sample b, int lost, boolean generatorDone) {
        Report r = new Report();
        double seconds = options.duration.toNanos() / 1e9;
        double loss = m.expected == 0 ? 0 : Math.max(0, m.expected - m.receivedUnique()) * 100.0 / m.expected;
        Histogram h = m.latencyMicros;
        boolean any = h.getTotalCount() > 0;
        r.note("traffic");
        r.add("rate", "target rate (msgs/s)", rate);
        r.add("sent", "sent", m.sent);
        r.add("sent_per_s", "sent/s", m.sent / seconds);
        if (m.unsent > 0) {
            r.add("unsent", "unsent (sender closed)", m.unsent);
        }
        r.add("expected", "expected deliveries", m.expected);
        r.add("received", "received deliveries", m.received);
        r.add("loss_pct", "loss %", loss);
        r.add("duplicates", "duplicates", m.duplicates);
        r.add("out_of_order", "out of order", m.outOfOrder);
        if (m.foreign > 0) {
            r.add("foreign", "unrecognised messages", m.foreign);
        }
        r.add("deliveries_per_s", "deliveries/s", m.received / seconds);
        r.note("latency, send to receive");
        r.add("p50_ms", "p50 (ms)", any ? h.getValueAtPercentile(50) / 1000.0 : null);
        r.add("p90_ms", "p90 (ms)", any ? h.getValueAtPercentile(90) / 1000.0 : null);
        r.add("p99_ms", "p99 (ms)", any ? h.getValueAtPercentile(99) / 1000.0 : null);
        r.add("p999_ms", "p99.9 (ms)", any ? h.getValueAtPercentile(99.9) / 1000.0 : null);
        r.add("max_ms", "max (ms)", any ? h.getMaxValue() / 1000.0 : null);
        r.note("health");
        r.add("gen_max_lag_ms", "generator max schedule lag (ms)", m.maxLagNanos / 1e6);
        r.add("generator_finished", "generator finished its schedule", generatorDone);
        r.add("lost_connections", "closed by the server", lost);
        r.add("closes", "close codes", new LinkedHashMap<>(m.closes));
        r.add("server_errors", "server errors", m.serverErrors);
        if (m.firstServerError != null) {
            r.add("first_server_error", "first server error", m.firstServerError);
        }
        if (m.protocolErrors > 0) {
            r.add("protocol_errors", "protocol errors", m.protocolErrors);
        }
        addCpu(r, a, b, m.received);
        return r;
    }

    /** CPU of the bench and, with --server-pid, of the servers, between samples {@code a} and {@code b}. */
    private void addCpu(Report r, Sample a, Sample b, long deliveries) {
        double wall = (b.nanos - a.nanos) / 1e9;
        double genCpu = b.selfCpu - a.selfCpu;
        double loopCpu = b.loopCpu - a.loopCpu;
        r.note("cpu (percent of one core)");
        r.add("gen_cpu_s", "generator CPU (s)", genCpu);
        r.add("gen_cpu_pct", "generator CPU %", genCpu / wall * 100);
        r.add("gen_loop_cpu_pct", "generator event loop CPU %", loopCpu / wall * 100);
        boolean saturated = loopCpu / wall * 100 >= SATURATED_PERCENT;
        r.add("generator_saturated", "generator saturated", saturated);
        if (saturated) {
            r.note("  WARNING: the generator's event loop is saturated: figures are bounded by the bench");
        }
        if (options.server.any()) {
            // Summed over every --server-pid and --extra-pid: a cluster's cost compares with one node's.
            double serverCpu = b.server.cpu() - a.server.cpu();
            long rss = b.server.rssKib();
            r.add("server_cpu_s", "server CPU (s)", serverCpu);
            r.add("server_cpu_pct", "server CPU %", serverCpu / wall * 100);
            if (deliveries >= 0) {
                r.add("server_cpu_us_per_delivery", "server CPU per delivery (us)",
                        deliveries == 0 ? null : serverCpu * 1e6 / deliveries);
            }
            r.add("server_rss_kib", "server RSS (KiB)", rss < 0 ? null : rss);
            if (b.server.pids().size() > 1) {
                Map<String, Object> pct = new LinkedHashMap<>();
                b.server.cpuByPidSince(a.server).forEach((pid, cpu) -> pct.put(pid, Report.clean(cpu / wall * 100)));
                r.add("server_cpu_pct_by_pid", "CPU % by pid", pct);
            }
            if (!options.server.extras.isEmpty()) {
                double extraCpu = b.server.extraCpu() - a.server.extraCpu();
                long extraRss = b.server.extraRssKib();
                r.add("extra_cpu_s", "of which --extra-pid CPU (s)", extraCpu);
                r.add("extra_cpu_pct", "of which --extra-pid CPU %", extraCpu / wall * 100);
                r.add("extra_rss_kib", "of which --extra-pid RSS (KiB)", extraRss < 0 ? null : extraRss);
            }
            if (Double.isNaN(b.server.cpu())) {
                r.note("  WARNING: a server process could not be read at the end: did it exit?");
            }
        }
    }

    // ---- plumbing ----

    /** CPU counters at one instant; {@code server} is null without --server-pid. */
    private record Sample(long nanos, double selfCpu, double loopCpu, ServerProcesses.Usage server) {
    }

    private Sample sample(long nanos) {
        return new Sample(nanos, ProcStat.selfCpuSeconds(), ProcStat.threadCpuSeconds(loopThreadId),
                options.server.any() ? options.server.read() : null);
    }

    /** The servers' RSS (and the extras'), summed; -1 when unknown. */
    private long serverRss() {
        return options.server.rssKib();
    }

    /** Makes {@code next} the loop's current measurement; returns the previous one, which the loop then leaves alone. */
    private Measurement swapMeasurement(Measurement next) throws Exception {
        LoadContext context = connections.context;
        return onLoop(() -> {
            Measurement previous = context.current;
            context.current = next;
            return previous;
        });
    }

    private void closeAll() throws InterruptedException {
        if (connections == null) {
            return;
        }
        progress.println("closing ...");
        Connections c = connections;
        try {
            onLoop(() -> {
                c.closeAll();
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
            while (System.nanoTime() - deadline < 0 && onLoop(c::openCount) > 0) {
                Thread.sleep(20);
            }
        } catch (Exception e) {
            progress.println("closing: " + e); // the group shutdown closes whatever is left
        }
    }

    /** Runs {@code task} on the event loop and waits for it, boundedly: a wedged loop fails the run. */
    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(LOOP_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static boolean awaitUntil(CompletableFuture<?> future, long deadlineNanos) throws Exception {
        try {
            future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        }
    }

    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    private static double number(Object value) {
        return value instanceof Number ? ((Number) value).doubleValue() : Double.NaN;
    }
}
