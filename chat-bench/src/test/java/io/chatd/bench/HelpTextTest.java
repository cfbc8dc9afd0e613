package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's {@code --help} renders as written: picocli formats descriptions, so a bare % breaks one. */
class HelpTextTest {

    @Test
    void everyCommandsHelpRendersWithoutAFormattingWarning() {
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            CommandLine main = BenchMain.commandLine();
            for (CommandLine command : main.getSubcommands().values()) {
                StringWriter help = new StringWriter();
                command.usage(new PrintWriter(help, true));
                assertTrue(help.toString().contains("Usage: chat-bench " + command.getCommandName()), help.toString());
            }
        } finally {
            System.setErr(stderr);
        }
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
    }
}
