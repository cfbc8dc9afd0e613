package io.chatd.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The processes the bench observes through {@code /proc} (a picocli mixin): the servers ({@code --server-pid},
 * one per node of a cluster) and what they rely on ({@code --extra-pid}, such as redis-server). The server
 * figures are sums over all of them, so a cluster's cost per delivery compares with one node's; the extras are
 * also reported alone.
 */
final class ServerProcesses {

    @Option(names = "--server-pid", split = ",", paramLabel = "PID",
            description = "Server processes to observe, comma-separated (one per node of a cluster): CPU time and "
                    + "RSS from /proc, summed.")
    List<Long> servers = new ArrayList<>();

    @Option(names = "--extra-pid", split = ",", paramLabel = "PID",
            description = "Processes the servers rely on, such as redis-server, comma-separated: counted in the "
                    + "server CPU and RSS figures, and reported alone as extra_*. Needs --server-pid.")
    List<Long> extras = new ArrayList<>();

    /** Whether any process is observed; without one the report has no server figures. */
    boolean any() {
        return !servers.isEmpty();
    }

    /** Every observed pid: the servers, then the extras. */
    List<Long> all() {
        List<Long> all = new ArrayList<>(servers);
        all.addAll(extras);
        return all;
    }

    /** The problem with the flags, or null. */
    String problem() {
        if (servers.isEmpty() && !extras.isEmpty()) {
            return "--extra-pid needs --server-pid";
        }
        for (long pid : all()) {
            if (!ProcStat.exists(pid)) {
                return (servers.contains(pid) ? "--server-pid " : "--extra-pid ") + pid + ": no such process";
            }
        }
        return null;
    }

    /** Reads every observed process now. */
    Usage read() {
        List<Long> pids = all();
        double[] cpu = new double[pids.size()];
        long[] rss = new long[pids.size()];
        for (int i = 0; i < cpu.length; i++) {
            cpu[i] = ProcStat.cpuSeconds(pids.get(i));
            rss[i] = ProcStat.rssKib(pids.get(i));
        }
        return new Usage(pids, servers.size(), cpu, rss);
    }

    /** CPU seconds of the servers' JIT compiler threads so far, summed (part of {@link Usage#cpu()}). */
    double serverCompilerCpu() {
        double sum = 0;
        for (long pid : servers) {
            sum += ProcStat.compilerCpuSeconds(pid);
        }
        return sum;
    }

    /** The sum of the RSS of every observed process in KiB, -1 when one cannot be read or none is observed. */
    long rssKib() {
        return any() ? read().rssKib() : -1;
    }

    /**
     * CPU seconds and RSS of each observed process at one instant, in the order of {@code pids}: the first
     * {@code serverCount} are servers, the rest extras.
     */
    record Usage(List<Long> pids, int serverCount, double[] cpuSeconds, long[] rssKibs) {

        /** CPU of every process, summed; NaN when one could not be read (it exited). */
        double cpu() {
            return sumCpu(0, pids.size());
        }

        /** CPU of the extras alone. */
        double extraCpu() {
            return sumCpu(serverCount, pids.size());
        }

        /** RSS of every process, summed; -1 when one could not be read. */
        long rssKib() {
            return sumRss(0, pids.size());
        }

        long extraRssKib() {
            return sumRss(serverCount, pids.size());
        }

        /** CPU seconds of each process between {@code earlier} and this, by pid, in order. */
        Map<String, Double> cpuByPidSince(Usage earlier) {
            Map<String, Double> by = new LinkedHashMap<>();
            for (int i = 0; i < pids.size(); i++) {
                by.put(Long.toString(pids.get(i)), cpuSeconds[i] - earlier.cpuSeconds[i]);
            }
            return by;
        }

        private double sumCpu(int from, int to) {
            double sum = 0;
            for (int i = from; i < to; i++) {
                sum += cpuSeconds[i]; // NaN stays NaN
            }
            return sum;
        }

        private long sumRss(int from, int to) {
            long sum = 0;
            for (int i = from; i < to; i++) {
                if (rssKibs[i] < 0) {
                    return -1;
                }
                sum += rssKibs[i];
            }
            return sum;
        }
    }
}
