package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcStatTest {

    @Test
    void readsUtimePlusStimeEvenWithParenthesesInTheName() {
        String stat = "7191 (java (x) y) S 1 7191 7191 0 -1 4194560 123 0 0 0 250 75 0 0 20 0 30 0 9000 "
                + "8728552000 57550 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 0 0 0 0 0 0";
        assertEquals(325, ProcStat.parseCpuTicks(stat));
    }

    @Test
    void tellsHotSpotsCompilerThreadsFromTheOthers() {
        String tail = " S 1 7191 7191 0 -1 4194560 123 0 0 0 250 75 0 0 20 0 30 0 9000";
        assertTrue(ProcStat.isCompilerThread("7201 (C2 CompilerThre)" + tail));
        assertTrue(ProcStat.isCompilerThread("7202 (C1 CompilerThre)" + tail));
        assertFalse(ProcStat.isCompilerThread("7203 (multiThreadIoEv)" + tail));
        assertFalse(ProcStat.isCompilerThread("7204 (VM Thread)" + tail));
        assertFalse(ProcStat.isCompilerThread("7191 (java)" + tail));
    }

    @Test
    void theCompilerThreadsOfThisJvmAreAPartOfItsCpu() {
        long pid = ProcessHandle.current().pid();
        double compiler = ProcStat.compilerCpuSeconds(pid);
        assertTrue(compiler >= 0 && compiler <= ProcStat.cpuSeconds(pid), compiler + " s");
    }

    @Test
    void readsVmRss() {
        assertEquals(230200, ProcStat.parseRssKib("Name:\tjava\nVmPeak:\t  999 kB\nVmRSS:\t  230200 kB\nThreads:\t30\n"));
        assertEquals(-1, ProcStat.parseRssKib("Name:\tkthreadd\n"));
    }

    @Test
    void readsThisProcess() {
        long pid = ProcessHandle.current().pid();
        assertTrue(ProcStat.exists(pid));
        assertTrue(ProcStat.cpuSeconds(pid) >= 0);
        assertTrue(ProcStat.rssKib(pid) > 0);
        assertTrue(ProcStat.selfCpuSeconds() > 0);
    }
}
