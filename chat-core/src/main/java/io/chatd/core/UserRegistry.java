package io.chatd.core;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open connections of each user, for private delivery. Lists are immutable and replaced atomically, so
 * readers on any event loop never lock; most users hold one or two connections, so copying is cheap.
 */
final class UserRegistry {

    private final ConcurrentHashMap<String, List<Connection>> connectionsByUser = new ConcurrentHashMap<>();

    void add(Connection connection) {
        connectionsByUser.merge(connection.user, List.of(connection), (existing, added) -> {
            Connection[] all = existing.toArray(new Connection[existing.size() + 1]);
            all[existing.size()] = connection;
            return List.of(all);
        });
    }

    void remove(Connection connection) {
        connectionsByUser.computeIfPresent(connection.user, (user, existing) -> {
            if (existing.size() == 1) {
                return existing.get(0) == connection ? null : existing;
            }
            return existing.stream().filter(c -> c != connection).toList();
        });
    }

    /** The user's connections, empty when offline. */
    List<Connection> connections(String user) {
        return connectionsByUser.getOrDefault(user, List.of());
    }

    int userCount() {
        return connectionsByUser.size();
    }
}
