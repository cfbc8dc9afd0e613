package io.chatd.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs chat-bench in this JVM, as its command line would, for tests. */
final class BenchCli {

    /** Its exit status, its report (the last line of stdout) and all of stdout. */
    record Result(int status, JsonObject report, String out) {
    }

    private BenchCli() {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = BenchMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        int status = cl.execute(args);
        String[] lines = out.toString().trim().split("\n");
        JsonObject report = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
        return new Result(status, report, out.toString());
    }
}
