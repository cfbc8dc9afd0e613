package io.chatd.bench;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code chat-bench} command: a load generator that drives real WebSocket connections over loopback against
 * a running chat server. Exit status: 0 after a run, 1 when the run failed (connections could not be set up),
 * 2 for bad flags or a non-loopback target, 3 when the watchdog had to stop a run that overran its budget.
 */
@Command(name = "chat-bench", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"WebSocket load generator for chat-server, over loopback only.",
                "Run the server with --default-room '' so connections start in no room."},
        footer = {"", "Durations: 10 (seconds), 10s, 500ms, 2m. The last line of stdout is the report as JSON."})
public final class BenchMain implements Callable<Integer> {

    static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // Before any Netty class logs: keep stdout for the report, java.util.logging writes to stderr.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // The default samples 1 buffer in 128 and records a stack trace for it: measurable on the read path.
            // The tests run with paranoid detection instead.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchMain());
        for (Scenario s : Scenario.values()) {
            cl.addSubcommand(s.wireName(), new ScenarioCommand(s));
            cl.getSubcommands().get(s.wireName()).getCommandSpec().usageMessage().description(description(s));
        }
        cl.addSubcommand("sweep", new SweepCommand());
        cl.addSubcommand("ack", new AckCommand());
        cl.addSubcommand("jmh", new JmhCommand());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("chat-bench: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return EXIT_USAGE;
        });
        return cl;
    }

    private static String[] description(Scenario s) {
        return switch (s) {
            case FANOUT -> new String[] {"N connections in one room; --senders of them send --rate msgs/s in total."};
            case ROOMS -> new String[] {"N connections in rooms of --room-size; every one sends, --rate msgs/s in total."};
            case PRIVATE -> new String[] {"N connections in pairs exchanging private messages, --rate msgs/s in total."};
            case IDLE -> new String[] {"N connections that only hold: handshake rate and latency, server RSS per connection."};
            case STORM -> new String[] {"N clients connect at once and stay in the default room, retrying with the web "
                    + "client's backoff: handshakes/s, handshake p50/p99 and server CPU per handshake, cold and warm "
                    + "(--rounds). Run it against the server's own configuration."};
            case MEMORY -> new String[] {"Holds N connections, then adds --add more: the server's RSS growth per added "
                    + "connection, and its RSS with none."};
            case RESTART -> new String[] {"N clients connect and hold; once --ready-file is written, restart the server: "
                    + "every client reconnects with the web client's backoff; reports the time until all are back "
                    + "and the handshake p99 (see scripts/bench restart)."};
        };
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** Validates the flags common to all commands and builds the run; bad flags become usage errors (exit 2). */
    static BenchRun prepare(CommandSpec spec, LoadOptions options, Scenario scenario) {
        options.applyDefaults(scenario);
        String problem = options.problem();
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        }
        try {
            Targets targets = Targets.parse(options.url);
            if (options.sourceAddresses > 1 && !targets.isIpv4()) {
                throw new IllegalArgumentException("--source-addresses needs IPv4 (127.x) targets");
            }
            int total = scenario == Scenario.MEMORY ? options.connections + options.add : options.connections;
            Topology topology = new Topology(scenario, total, options.users, options.senders,
                    options.room, options.roomSize);
            return new BenchRun(options, scenario, targets, topology, System.err);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code fanout}, {@code rooms}, {@code private} and {@code idle}: one run at {@code --rate}; and the connection scenarios. */
    @Command(mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false)
    static final class ScenarioCommand implements Callable<Integer> {

        private final Scenario scenario;

        @CommandLine.Mixin
        LoadOptions options = new LoadOptions();

        @CommandLine.Spec
        CommandSpec spec;

        ScenarioCommand(Scenario scenario) {
            this.scenario = scenario;
        }

        @Override
        public Integer call() throws Exception {
            BenchRun run = prepare(spec, options, scenario);
            Thread watchdog = Watchdog.start(BenchRun.budget(options, scenario));
            try {
                return run.run(List.of(options.rate), null, spec.commandLine().getOut());
            } finally {
                watchdog.interrupt();
            }
        }
    }
}
