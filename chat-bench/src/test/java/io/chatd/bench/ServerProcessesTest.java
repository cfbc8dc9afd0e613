package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServerProcessesTest {

    @Test
    void serverPidsAndExtraPidsTakeCommaSeparatedListsAndRepeats() {
        AckCommand ack = new AckCommand();
        new CommandLine(ack).parseArgs("--server-pid", "11,12", "--server-pid", "13", "--extra-pid", "14");
        assertEquals(List.of(11L, 12L, 13L), ack.server.servers);
        assertEquals(List.of(14L), ack.server.extras);
        assertEquals(List.of(11L, 12L, 13L, 14L), ack.server.all());
    }

    @Test
    void cpuAndRssAreSummedOverEveryServerAndExtraAndTheExtrasAreAlsoGivenAlone() {
        ServerProcesses.Usage u = new ServerProcesses.Usage(List.of(1L, 2L, 3L, 4L), 3,
                new double[] {1.0, 2.0, 3.0, 0.5}, new long[] {100, 200, 300, 50});
        assertEquals(6.5, u.cpu(), 1e-9);
        assertEquals(0.5, u.extraCpu(), 1e-9);
        assertEquals(650, u.rssKib());
        assertEquals(50, u.extraRssKib());
        ServerProcesses.Usage later = new ServerProcesses.Usage(List.of(1L, 2L, 3L, 4L), 3,
                new double[] {2.0, 2.5, 3.0, 1.5}, new long[] {100, 200, 300, 50});
        assertEquals(Map.of("1", 1.0, "2", 0.5, "3", 0.0, "4", 1.0), later.cpuByPidSince(u));
        assertEquals(List.of("1", "2", "3", "4"), List.copyOf(later.cpuByPidSince(u).keySet()));
    }

    @Test
    void oneUnreadableProcessMakesTheSumsUnknown() {
        ServerProcesses.Usage u = new ServerProcesses.Usage(List.of(1L, 2L), 2,
                new double[] {1.0, Double.NaN}, new long[] {100, -1});
        assertTrue(Double.isNaN(u.cpu()));
        assertEquals(-1, u.rssKib());
        assertEquals(0.0, u.extraCpu(), "no extras: nothing");
        assertEquals(0, u.extraRssKib());
    }

    @Test
    void readsLiveProcessesAndRefusesMissingOnes() {
        long self = ProcessHandle.current().pid();
        ServerProcesses p = new ServerProcesses();
        assertNull(p.problem());
        assertEquals(-1, p.rssKib(), "nothing observed");
        p.extras = List.of(self);
        assertEquals("--extra-pid needs --server-pid", p.problem());
        p.servers = List.of(self);
        assertNull(p.problem());
        ServerProcesses.Usage u = p.read();
        assertEquals(2 * u.cpuSeconds()[0], u.cpu(), 0.02 + 1e-9); // the same process twice, read twice
        assertTrue(u.rssKib() > 0);
        p.servers = List.of(self, Long.MAX_VALUE);
        assertEquals("--server-pid " + Long.MAX_VALUE + ": no such process", p.problem());
    }
}
