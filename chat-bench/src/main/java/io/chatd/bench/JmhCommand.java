package io.chatd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code jmh}: hands every argument to JMH's own command line, so the micro-benchmarks packaged in this jar run
 * with {@code java -jar chat-bench.jar jmh [JMH options] [benchmark regexp]}; {@code jmh -h} lists JMH's options.
 */
@Command(name = "jmh", description = {"Runs the JMH micro-benchmarks in this jar; all arguments go to JMH "
        + "(jmh -h for its options, jmh -l to list benchmarks)."})
final class JmhCommand implements Callable<Integer> {

    /** Everything after "jmh", options and benchmark names alike, in order. */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(args.toArray(new String[0]));
        return 0;
    }
}
