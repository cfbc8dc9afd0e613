package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.chatd.core.TestClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** --log-format json: the daemon's every line is one JSON object, and handshake lines carry their fields. */
@Timeout(60)
class LogFormatTest {

    @Test
    void jsonLogsAreOneObjectPerLineWithTheHandshakesFields() throws Exception {
        // The daemon's own logback.xml (the test classpath's logback-test.xml would otherwise win).
        Path config = Path.of("src/main/resources/logback.xml").toAbsolutePath();
        Process process = DaemonProcess.start(List.of("-Dlogback.configurationFile=" + config),
                List.of("--host", "127.0.0.1", "--port", "0", "--store", "memory", "--no-web-client",
                        "--drain-delay", "0s", "--log-format", "json"));
        List<String> lines = new ArrayList<>();
        try (BufferedReader log = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            int port = -1;
            String line;
            while (port < 0 && (line = log.readLine()) != null) {
                lines.add(line);
                Matcher m = Pattern.compile("ready on [^ ]*:(\\d+)").matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertTrue(port > 0, "the server reported its port: " + lines);
            try (TestClient alice = TestClient.connect(port, "alice")) {
                alice.expect("welcome");
            }
            process.toHandle().destroy(); // SIGTERM, leaving the output open (Process.destroy closes it)
            while ((line = log.readLine()) != null) {
                lines.add(line);
            }
        } finally {
            assertTrue(process.waitFor(20, TimeUnit.SECONDS));
            process.destroyForcibly();
        }
        JsonObject handshake = null;
        for (String line : lines) {
            if (line.startsWith("OpenJDK") || line.isBlank()) {
                continue; // the JVM's own warnings, not ours
            }
            JsonObject json = JsonParser.parseString(line).getAsJsonObject(); // throws on a text line
            assertTrue(json.has("timestamp") && json.has("level") && json.has("loggerName")
                    && json.has("formattedMessage"), line);
            if (json.get("formattedMessage").getAsString().startsWith("handshake ok")) {
                handshake = json;
            }
        }
        assertTrue(handshake != null, "an access line for alice's handshake in " + lines);
        JsonObject fields = new JsonObject();
        for (JsonElement pair : handshake.getAsJsonArray("kvpList")) {
            pair.getAsJsonObject().entrySet().forEach(e -> fields.add(e.getKey(), e.getValue()));
        }
        assertEquals("alice", fields.get("user").getAsString());
        assertEquals("ok", fields.get("result").getAsString());
        assertEquals("127.0.0.1", fields.get("client").getAsString());
        assertEquals("INFO", handshake.get("level").getAsString());
    }
}
