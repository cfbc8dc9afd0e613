package io.chatd.bench;

import java.time.Duration;

/**
 * The last guarantee that the bench exits by itself: every phase has its own timeout, but a wedged event loop
 * or a bug could still hang a phase, so past a generous budget the JVM is halted with exit status 3.
 */
final class Watchdog {

    static final int EXIT_STATUS = 3;

    private Watchdog() {
    }

    /** Starts the watchdog; interrupting the returned thread disarms it (for runs inside a longer-lived JVM). */
    static Thread start(Duration budget) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(budget.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("watchdog: the run exceeded its time budget of " + budget.toSeconds()
                    + " s; halting");
            System.err.flush();
            Runtime.getRuntime().halt(EXIT_STATUS);
        }, "bench-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
