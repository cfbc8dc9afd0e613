package io.chatd.core.cluster;

import java.util.List;

/** A page of a room's users, sorted, with the room's user count and whether more follow. */
public record WhoPage(List<String> users, int count, boolean more) {
    public WhoPage {
        users = List.copyOf(users);
    }
}
