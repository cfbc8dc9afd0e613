package io.chatd.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** The built-in browser client: three static files read from the classpath once. */
final class WebClient {

    record Asset(byte[] bytes, String contentType) {
    }

    private final Map<String, Asset> assets;

    private WebClient(Map<String, Asset> assets) {
        this.assets = assets;
    }

    static WebClient load() {
        Asset index = read("index.html", "text/html; charset=UTF-8");
        return new WebClient(Map.of(
                "/", index,
                "/index.html", index,
                "/app.js", read("app.js", "text/javascript; charset=UTF-8"),
                "/style.css", read("style.css", "text/css; charset=UTF-8")));
    }

    /** The asset served at {@code path}, or null. */
    Asset asset(String path) {
        return assets.get(path);
    }

    private static Asset read(String name, String contentType) {
        try (InputStream in = WebClient.class.getResourceAsStream("web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("web client resource missing from the jar: " + name);
            }
            return new Asset(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
