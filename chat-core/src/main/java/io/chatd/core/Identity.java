package io.chatd.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * Who a connection belongs to, as an {@link IdentityResolver} established it: the user id, the rooms the user may
 * join, and when the credential stops being valid. Immutable.
 */
public final class Identity {

    private final String user;
    private final Set<String> rooms;
    private final Instant expiresAt;

    private Identity(String user, Set<String> rooms, Instant expiresAt) {
        this.user = Objects.requireNonNull(user, "user");
        if (!ChatConfig.NAME_PATTERN.matcher(user).matches()) {
            throw new IllegalArgumentException("user must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
        }
        this.rooms = rooms == null ? null : Set.copyOf(rooms);
        this.expiresAt = expiresAt;
    }

    /** A user who may join any room, with a credential that never expires (e.g. {@code ?user=}). */
    public static Identity of(String user) {
        return new Identity(user, null, null);
    }

    /**
     * A user restricted to {@code rooms} (null: any room) whose credential expires at {@code expiresAt} (null:
     * never). Once it has expired an open connection is closed with {@link CloseCodes#TOKEN_EXPIRED} unless it
     * presented a fresh credential.
     *
     * @throws IllegalArgumentException when {@code user} is not 1 to 64 characters of {@code [A-Za-z0-9_.-]}
     */
    public static Identity of(String user, Set<String> rooms, Instant expiresAt) {
        return new Identity(user, rooms, expiresAt);
    }

    public String user() {
        return user;
    }

    /** Whether this user may join {@code room}. */
    public boolean mayJoin(String room) {
        return rooms == null || rooms.contains(room);
    }

    /** The rooms this user may join, or null for any. */
    public Set<String> rooms() {
        return rooms;
    }

    /** When the credential expires, or null for never. */
    public Instant expiresAt() {
        return expiresAt;
    }

    @Override
    public String toString() {
        return "Identity{" + user + (rooms == null ? "" : ", rooms=" + rooms)
                + (expiresAt == null ? "" : ", expiresAt=" + expiresAt) + '}';
    }
}
