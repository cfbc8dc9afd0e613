package io.chatd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The servers under test, from {@code --url}: one {@link Target}, or the nodes of a cluster as a comma-separated
 * list. Connection {@code i} goes to {@code url[i % n]}, on every attempt: the nodes get equal shares, a sender
 * and most of its receivers sit on different nodes, and a reconnecting client comes back to the node it left.
 */
final class Targets {

    private final List<Target> all;

    private Targets(List<Target> all) {
        this.all = List.copyOf(all);
    }

    /**
     * Parses {@code urls}, one URL or several separated by commas (spaces around them allowed), each checked as
     * {@link Target#parse} does; throws {@link IllegalArgumentException} saying which one is refused and why.
     */
    static Targets parse(String urls) {
        List<Target> parsed = new ArrayList<>();
        // -1: keep trailing empty entries, so "ws://a," is refused rather than read as one URL.
        for (String url : urls.split(",", -1)) {
            String trimmed = url.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException("empty URL in the list: " + urls);
            }
            parsed.add(Target.parse(trimmed));
        }
        return new Targets(parsed);
    }

    /** The server connection {@code i} talks to. */
    Target of(int i) {
        return all.get(indexOf(i));
    }

    /** The position in the list of the server connection {@code i} talks to: the round robin itself. */
    int indexOf(int i) {
        return i % all.size();
    }

    int size() {
        return all.size();
    }

    /** Whether every target is IPv4, as {@code --source-addresses} needs. */
    boolean isIpv4() {
        return all.stream().allMatch(Target::isIpv4);
    }

    /** The URLs, comma-separated, as they can be given again to {@code --url}. */
    @Override
    public String toString() {
        return all.stream().map(Target::toString).collect(Collectors.joining(","));
    }
}
