package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A client-triggered log line gets through once per interval, saying how many were held back. */
class LogThrottleTest {

    @Test
    void oneLinePerIntervalCountingTheRest() throws InterruptedException {
        LogThrottle throttle = new LogThrottle(200, TimeUnit.MILLISECONDS);
        assertEquals(0, throttle.tryAcquire(), "the first line goes through");
        for (int i = 0; i < 1000; i++) {
            assertEquals(-1, throttle.tryAcquire());
        }
        Thread.sleep(250);
        assertEquals(1000, throttle.tryAcquire(), "the next one says how many were held back");
        assertEquals(-1, throttle.tryAcquire());
    }
}
