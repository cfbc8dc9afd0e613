package io.chatd.bench;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** The flags every scenario shares (a picocli mixin); each one says which scenarios read it. */
final class LoadOptions {

    @Option(names = "--url", defaultValue = "ws://127.0.0.1:8080/ws", paramLabel = "URL[,URL...]",
            description = "Server WebSocket URL, or the nodes of a cluster comma-separated: connection i goes to "
                    + "URL i mod N. Loopback only (default: ${DEFAULT-VALUE}).")
    String url;

    /** -1 until {@link #applyDefaults}: the default depends on the scenario. */
    @Option(names = "--connections", defaultValue = "-1",
            description = "WebSocket connections; memory: those held before --add (default: 1000; storm, restart: "
                    + "10000; memory: 5000).")
    int connections;

    @Option(names = "--rate", defaultValue = "500",
            description = "Total messages per second over all senders, open loop (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "Measured time; idle: how long to hold (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "3s", converter = DurationConverter.class,
            description = "Sending before the measured window, not counted (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--size", defaultValue = "60",
            description = "Approximate message content length in bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--room", defaultValue = "bench",
            description = "fanout: the room; rooms: prefix of ROOM-0, ROOM-1, ... (default: ${DEFAULT-VALUE}).")
    String room;

    @Option(names = "--senders", defaultValue = "10",
            description = "fanout: connections that send (default: ${DEFAULT-VALUE}).")
    int senders;

    @Option(names = "--room-size", defaultValue = "10", description = "rooms: members per room (default: ${DEFAULT-VALUE}).")
    int roomSize;

    @Option(names = "--users", defaultValue = "0",
            description = "Distinct user names, shared round-robin by the connections; 0: one per connection, "
                    + "but at most " + Topology.FANOUT_DEFAULT_USERS + " for fanout, whose join notices cost "
                    + "users x connections frames at set-up (default: ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--source-addresses", defaultValue = "1",
            description = "Spread connections over local addresses 127.0.0.1..127.0.0.N, each with its own "
                    + "ephemeral port range (default: ${DEFAULT-VALUE}).")
    int sourceAddresses;

    @CommandLine.Mixin
    ServerProcesses server = new ServerProcesses();

    /** -1 until {@link #applyDefaults}: the default depends on the scenario. */
    @Option(names = "--max-handshakes", defaultValue = "-1",
            description = "Upgrades in flight at once while connecting (default: 200; storm, restart: no limit, "
                    + "every client at once as in a real storm).")
    int maxHandshakes;

    @Option(names = "--connect-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "Time for every connection to connect, upgrade and join (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--handshake-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "Time for one connection's TCP connect and upgrade (default: ${DEFAULT-VALUE}).")
    Duration handshakeTimeout;

    @Option(names = "--drain-timeout", defaultValue = "5s", converter = DurationConverter.class,
            description = "Wait after the last send for deliveries still on their way (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--rounds", defaultValue = "2",
            description = "storm: storms of --connections, each after the previous one's connections closed; the "
                    + "first (on a fresh server) is reported as cold, the second as warm, later ones as warm 3, warm 4... "
                    + "(default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--add", defaultValue = "10000",
            description = "memory: connections added to the --connections held; the report gives the server's RSS "
                    + "growth per added connection (default: ${DEFAULT-VALUE}).")
    int add;

    @Option(names = "--settle", defaultValue = "2s", converter = DurationConverter.class,
            description = "storm: wait after connecting before reading the server's CPU, so work queued by the "
                    + "last connections is counted. memory: how long the server must have been quiet (under 5%% of "
                    + "a core in every second of it) before each RSS reading (default: ${DEFAULT-VALUE}).")
    Duration settle;

    @Option(names = "--quiet-wait", defaultValue = "60s", converter = DurationConverter.class,
            description = "memory: the most to wait for --settle's quiet before each RSS reading; past it the RSS "
                    + "is read anyway, and the report says -1 (default: ${DEFAULT-VALUE}).")
    Duration quietWait;

    @Option(names = "--ready-file",
            description = "restart: file written once every client is connected and held for --duration; the "
                    + "moment to restart the server (scripts/bench restart waits for it).")
    java.nio.file.Path readyFile;

    @Option(names = "--restart-wait", defaultValue = "5m", converter = DurationConverter.class,
            description = "restart: how long to wait, once ready, for the server to close the connections "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration restartWait;

    /** Fills in the flags whose default depends on the scenario. */
    void applyDefaults(Scenario scenario) {
        if (connections == -1) {
            connections = scenario.defaultConnections();
        }
        if (maxHandshakes == -1) {
            maxHandshakes = scenario.keepsDefaultRooms() ? Integer.MAX_VALUE : 200;
        }
    }

    /** Checks what picocli's types do not; returns the problem, or null. */
    String problem() {
        if (connections < 1) {
            return "--connections must be at least 1";
        }
        if (!(rate > 0) || Double.isInfinite(rate)) {
            return "--rate must be above 0";
        }
        if (duration.isNegative() || duration.isZero()) {
            return "--duration must be above 0";
        }
        if (warmup.isNegative()) {
            return "--warmup must not be negative";
        }
        if (size < 0 || size > 4096) {
            return "--size must be 0 to 4096 (the server's default content limit)";
        }
        if (!room.matches("[A-Za-z0-9_.-]{1,48}")) {
            return "--room must be 1 to 48 characters of A-Z a-z 0-9 _ . -";
        }
        if (sourceAddresses < 1 || sourceAddresses > 254) {
            return "--source-addresses must be 1 to 254";
        }
        if (maxHandshakes < 1) {
            return "--max-handshakes must be at least 1";
        }
        if (users < 0) {
            return "--users must not be negative";
        }
        if (rounds < 1) {
            return "--rounds must be at least 1";
        }
        if (add < 1) {
            return "--add must be at least 1";
        }
        if (settle.isNegative() || quietWait.isNegative()) {
            return "--settle and --quiet-wait must not be negative";
        }
        for (Duration d : new Duration[] {connectTimeout, handshakeTimeout, drainTimeout, restartWait}) {
            if (d.isNegative() || d.isZero()) {
                return "timeouts must be above 0";
            }
        }
        return server.problem();
    }

    /** "10" (seconds), "10s", "500ms", "2m". */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("s")) {
                v = v.substring(0, v.length() - 1);
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        }
    }
}
