package io.chatd.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Prints {@code --help}'s options in sections (network, limits, auth and TLS, store, several nodes, operations), in the order
 * declared here. Sections are only a view: an option belongs to the first section naming it, and an option no
 * section names is listed under "Other" so that none can go missing from the help.
 */
final class HelpSections implements CommandLine.IHelpSectionRenderer {

    private static final Map<String, List<String>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("Network", List.of("--host", "--port", "--ws-path", "--default-room", "--allowed-origins",
                "--no-web-client", "--io-threads", "--ping-interval", "--idle-timeout", "--handshake-timeout",
                "--flush-interval", "--trust-proxy"));
        SECTIONS.put("Limits", List.of("--max-frame-bytes", "--max-content-chars", "--max-outbound-bytes",
                "--max-http-request-bytes", "--rate-limit", "--rate-burst", "--history-rate", "--max-connections",
                "--max-connections-per-ip", "--max-rooms-per-connection", "--max-room-members", "--presence-notices-max",
                "--presence-names-max", "--presence-interval"));
        SECTIONS.put("Authentication and TLS", List.of("--auth", "--jwt-secret-file", "--jwt-public-key",
                "--jwt-jwks", "--jwt-rooms-claim", "--jwt-issuer", "--jwt-audience", "--tls-cert", "--tls-key"));
        SECTIONS.put("Store", List.of("--store", "--history-size", "--history-ttl", "--offline-max",
                "--offline-max-per-sender", "--offline-max-total", "--offline-ttl", "--dedup-window",
                "--dedup-max-ids"));
        SECTIONS.put("Several nodes", List.of("--redis", "--node-id"));
        SECTIONS.put("Operations", List.of("--shutdown-grace", "--drain-delay", "--reconnect-rate", "--admin-port", "--admin-host",
                "--admin-key-file", "--log-format", "-h", "-V"));
    }

    /** Installs the renderer in place of picocli's single option list. */
    static void install(CommandLine commandLine) {
        commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
                new HelpSections());
        commandLine.getHelpSectionMap().remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING);
    }

    @Override
    public String render(Help help) {
        Map<String, List<OptionSpec>> sections = new LinkedHashMap<>();
        for (String title : SECTIONS.keySet()) {
            sections.put(title, new ArrayList<>());
        }
        List<OptionSpec> other = new ArrayList<>();
        for (OptionSpec option : help.commandSpec().options()) {
            if (option.hidden()) {
                continue;
            }
            sections.getOrDefault(sectionOf(option), other).add(option);
        }
        sections.put("Other", other);
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, List<OptionSpec>> section : sections.entrySet()) {
            if (section.getValue().isEmpty()) {
                continue;
            }
            Help.Layout layout = help.createDefaultLayout();
            for (OptionSpec option : section.getValue()) {
                layout.addOption(option, help.createDefaultParamLabelRenderer());
            }
            text.append(String.format("%n%s:%n", section.getKey())).append(layout);
        }
        return text.toString();
    }

    private static String sectionOf(OptionSpec option) {
        for (Map.Entry<String, List<String>> section : SECTIONS.entrySet()) {
            for (String name : option.names()) {
                if (section.getValue().contains(name)) {
                    return section.getKey();
                }
            }
        }
        return "Other";
    }
}
