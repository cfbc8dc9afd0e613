package io.chatd.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code sweep}: one scenario at increasing rates over the same connections, each rate a full warm-up, window
 * and drain, until a rate no longer holds; reports the highest that did.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
        description = {"Runs a scenario at increasing --rates over the same connections and reports the highest "
                + "rate that holds (loss and p99 within the criteria). Stops after the first rate that does not."})
final class SweepCommand implements Callable<Integer> {

    @CommandLine.Mixin
    LoadOptions options = new LoadOptions();

    @Option(names = "--scenario", defaultValue = "fanout",
            description = "fanout, rooms or private (default: ${DEFAULT-VALUE}).")
    Scenario scenario;

    @Option(names = "--rates", split = ",", defaultValue = "100,200,500,1000,2000,5000,10000",
            description = "Total msgs/s to try, in increasing order (default: ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--max-loss-pct", defaultValue = "0.1", description = "A rate holds with loss %% at most this (default: ${DEFAULT-VALUE}).")
    double maxLossPercent;

    @Option(names = "--max-p99-ms", defaultValue = "50", description = "... and p99 latency at most this (default: ${DEFAULT-VALUE}).")
    double maxP99Millis;

    @Option(names = "--keep-going", description = "Try every rate, even after one did not hold.")
    boolean keepGoing;

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!scenario.sends()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--scenario must be fanout, rooms or private");
        }
        List<Double> sorted = new ArrayList<>(rates);
        Collections.sort(sorted);
        if (sorted.isEmpty() || !(sorted.get(0) > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rates must all be above 0");
        }
        BenchRun run = BenchMain.prepare(spec, options, scenario);
        Thread watchdog = Watchdog.start(BenchRun.budget(options, sorted.size()));
        try {
            return run.run(sorted, new BenchRun.Criteria(maxLossPercent, maxP99Millis, keepGoing),
                    spec.commandLine().getOut());
        } finally {
            watchdog.interrupt();
        }
    }
}
