package io.chatd.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and resident memory of a process, from Linux's {@code /proc}: how the bench observes the server (by
 * pid) and itself. CPU counters are in clock ticks of 1/100 s, the value of {@code USER_HZ} on Linux.
 */
final class ProcStat {

    static final double TICKS_PER_SECOND = 100.0;

    private ProcStat() {
    }

    /** utime + stime of {@code pid} in seconds, or NaN when it cannot be read. */
    static double cpuSeconds(long pid) {
        try {
            return parseCpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * utime + stime, fields 14 and 15 of a {@code /proc/PID/stat} line. Fields are counted after the last ')',
     * because the command name in field 2 may itself hold spaces and parentheses.
     */
    static long parseCpuTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    /**
     * utime + stime of the JIT compiler threads of {@code pid} (a HotSpot JVM) in seconds, 0 when it has none or
     * they cannot be read. On a one-core server, compiling the code a storm makes hot takes as much of the core as
     * the storm itself for a while, which the server's own cost per handshake should not be confused with.
     */
    static double compilerCpuSeconds(long pid) {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    if (isCompilerThread(stat)) {
                        ticks += parseCpuTicks(stat);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return ticks / TICKS_PER_SECOND;
    }

    /** Whether a {@code /proc/PID/task/TID/stat} line is HotSpot's C1 or C2 compiler thread (names cut at 15). */
    static boolean isCompilerThread(String stat) {
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");
    }

    /** VmRSS of {@code pid} in KiB, or -1 when it cannot be read. */
    static long rssKib(long pid) {
        try {
            return parseRssKib(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long parseRssKib(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    static boolean exists(long pid) {
        return Files.isReadable(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** This JVM's CPU time in seconds, all threads (JIT and GC included). */
    static double selfCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            long nanos = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
            if (nanos >= 0) {
                return nanos / 1e9;
            }
        }
        return cpuSeconds(ProcessHandle.current().pid());
    }

    /** CPU time of one thread of this JVM in seconds, or NaN; used for the event loop, the bench's bottleneck. */
    static double threadCpuSeconds(long threadId) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported()) {
            return Double.NaN;
        }
        long nanos = threads.getThreadCpuTime(threadId);
        return nanos < 0 ? Double.NaN : nanos / 1e9;
    }
}
