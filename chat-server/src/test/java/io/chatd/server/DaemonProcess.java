package io.chatd.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The daemon as a separate process, for the tests that kill, signal or restart it. */
final class DaemonProcess {

    private static final Pattern LISTENING = Pattern.compile("ready on [^ ]*:(\\d+)");

    private DaemonProcess() {
    }

    /** Starts {@code ChatServerMain} with {@code flags} in a new JVM on this test's class path; output merged. */
    static Process start(List<String> flags) throws IOException {
        return start(List.of(), flags);
    }

    /** {@link #start(List)}, with {@code jvmOptions} given to the new JVM. */
    static Process start(List<String> jvmOptions, List<String> flags) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ChatServerMain.class.getName()));
        command.addAll(flags);
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Reads the daemon's log until it says where it listens, within 30 s; keeps draining it afterwards. */
    static int awaitListeningPort(Process process) throws IOException {
        BufferedReader log = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        StringBuilder seen = new StringBuilder();
        String line;
        while (System.nanoTime() < deadline && (line = log.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        log.lines().forEach(l -> { });
                    } catch (UncheckedIOException e) {
                        // The process was killed and its output closed.
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("the daemon did not report its port:\n" + seen);
    }
}
