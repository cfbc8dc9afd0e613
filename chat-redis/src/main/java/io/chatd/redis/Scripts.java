package io.chatd.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * chatd's Lua scripts (resources next to this class, each run after common.lua), called by their SHA. A Redis that
 * restarted has forgotten them: a {@code NOSCRIPT} answer sends the script itself once, which loads it again.
 */
final class Scripts {

    static final String ROOM_PUBLISH = "room_publish";
    static final String PRIVATE_SEND = "private_send";
    static final String STORE_AGAIN = "store_again";
    static final String READ = "read";
    static final String JOIN = "join";
    static final String LEAVE = "leave";
    static final String WHO = "who";
    static final String TICK = "tick";
    static final String LEAVE_NODE = "leave_node";
    private static final List<String> ALL = List.of(ROOM_PUBLISH, PRIVATE_SEND, STORE_AGAIN, READ, JOIN, LEAVE,
            WHO, TICK, LEAVE_NODE);
    private static final String[] NO_KEYS = new String[0];

    private record Script(String text, String sha) {
    }

    private final RedisAsyncCommands<String, String> redis;
    private final ConcurrentHashMap<String, Script> scripts = new ConcurrentHashMap<>();

    Scripts(RedisAsyncCommands<String, String> redis) {
        this.redis = redis;
    }

    /** Loads every script, so that the first calls already go by SHA. */
    void load() throws Exception {
        String common = resource("common");
        for (String name : ALL) {
            String text = common + "\n" + resource(name);
            String sha = redis.scriptLoad(text).get();
            scripts.put(name, new Script(text, sha));
        }
    }

    private static String resource(String name) {
        try (InputStream in = Scripts.class.getResourceAsStream(name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name + ".lua");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs script {@code name}, whose reply is an integer, with {@code args} as ARGV. */
    CompletionStage<Long> integer(String name, String... args) {
        return run(name, ScriptOutputType.INTEGER, args);
    }

    /** Runs script {@code name}, whose reply is an array, with {@code args} as ARGV. */
    CompletionStage<List<Object>> multi(String name, String... args) {
        return run(name, ScriptOutputType.MULTI, args);
    }

    private <T> CompletionStage<T> run(String name, ScriptOutputType output, String... args) {
        Script script = scripts.get(name);
        CompletableFuture<T> result = new CompletableFuture<>();
        redis.<T>evalsha(script.sha(), output, NO_KEYS, args).whenComplete((reply, error) -> {
            if (error instanceof RedisNoScriptException) {
                redis.<T>eval(script.text(), output, NO_KEYS, args).whenComplete((again, failed) -> {
                    if (failed != null) {
                        result.completeExceptionally(failed);
                    } else {
                        result.complete(again);
                    }
                });
            } else if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(reply);
            }
        });
        return result;
    }
}
