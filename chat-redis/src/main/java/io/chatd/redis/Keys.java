package io.chatd.redis;

/**
 * The names of the keys and channels chatd uses in Redis, all under one prefix. The Lua scripts build the same
 * names (see common.lua): a room's {@code r:ROOM:seq}, {@code r:ROOM:log} (its stream), {@code r:ROOM:users} and
 * {@code r:ROOM:names} (presence) and channel {@code r:ROOM}; a user's channel {@code u:USER} and inbox
 * {@code u:USER:inbox}; a conversation's {@code c:A\nB:seq}; sent ids {@code id:USER\nID}; nodes {@code nodes},
 * {@code node:ID:alive} and {@code node:ID:pres}; the numbering's {@code epoch}.
 */
final class Keys {

    private Keys() {
    }

    static String roomChannel(String prefix, String room) {
        return prefix + "r:" + room;
    }

    static String roomSeq(String prefix, String room) {
        return prefix + "r:" + room + ":seq";
    }

    static String roomLog(String prefix, String room) {
        return prefix + "r:" + room + ":log";
    }

    static String userChannel(String prefix, String user) {
        return prefix + "u:" + user;
    }

    static String inbox(String prefix, String user) {
        return prefix + "u:" + user + ":inbox";
    }
}
