package io.chatd.core;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.Set;

/**
 * One parsed client frame: a JSON object with a {@code type}. Accessors validate as they read and throw
 * {@link RequestException} with the error code to send back.
 */
final class ClientRequest {

    /** Longest client-chosen {@code id}: it is echoed back, so it must stay small. */
    static final int MAX_ID_CHARS = 64;

    private static final TypeAdapter<JsonElement> JSON = new Gson().getAdapter(JsonElement.class);

    final String type;
    /** The client's request id, or null; echoed in acks and errors. */
    final String id;
    private final JsonObject json;

    private ClientRequest(String type, String id, JsonObject json) {
        this.type = type;
        this.id = id;
        this.json = json;
    }

    static ClientRequest parse(String text) throws RequestException {
        JsonObject json = object(text);
        String id = optionalId(json);
        JsonElement type = json.get("type");
        if (type == null || !isString(type)) {
            throw new RequestException(ErrorCode.INVALID, "\"type\" must be a string", id);
        }
        return new ClientRequest(type.getAsString(), id, json);
    }

    /** An admin API body: a JSON object whose fields are read as a request's are; it has no type or id. */
    static ClientRequest parseBody(String text) throws RequestException {
        return new ClientRequest(null, null, object(text));
    }

    private static JsonObject object(String text) throws RequestException {
        JsonElement element;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            reader.setNestingLimit(32); // requests are flat; deep nesting is only an attack
            element = JSON.read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new RequestException(ErrorCode.BAD_JSON, "trailing data after the JSON object", null);
            }
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new RequestException(ErrorCode.BAD_JSON, "frame is not valid JSON", null);
        }
        if (element == null || !element.isJsonObject()) {
            throw new RequestException(ErrorCode.BAD_JSON, "frame must be a JSON object", null);
        }
        return element.getAsJsonObject();
    }

    /** Whether the field is present and not null. */
    boolean has(String field) {
        JsonElement value = json.get(field);
        return value != null && !value.isJsonNull();
    }

    /** A free-text field (a display name, a close reason): a non-empty string of at most {@code maxChars}. */
    String text(String field, int maxChars) throws RequestException {
        String value = string(field);
        if (value.isEmpty() || value.length() > maxChars) {
            throw invalid("\"" + field + "\" must be a string of 1 to " + maxChars + " characters");
        }
        return value;
    }

    private static String optionalId(JsonObject json) throws RequestException {
        JsonElement id = json.get("id");
        if (id == null || id.isJsonNull()) {
            return null;
        }
        if (!isString(id) || id.getAsString().isEmpty() || id.getAsString().length() > MAX_ID_CHARS) {
            throw new RequestException(ErrorCode.INVALID,
                    "\"id\" must be a string of 1 to " + MAX_ID_CHARS + " characters", null);
        }
        return id.getAsString();
    }

    /** A room or user name field: 1 to 64 characters of {@code [A-Za-z0-9_.-]}. */
    String name(String field) throws RequestException {
        String value = string(field);
        if (!ChatConfig.NAME_PATTERN.matcher(value).matches()) {
            throw invalid("\"" + field + "\" must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
        }
        return value;
    }

    /** The {@code content} field: a non-empty string of at most {@code maxChars} code points. */
    String content(int maxChars) throws RequestException {
        String content = string("content");
        if (content.isEmpty()) {
            throw invalid("\"content\" must not be empty");
        }
        // length() >= code points, so the exact count is only needed near the limit.
        if (content.length() > maxChars && content.codePointCount(0, content.length()) > maxChars) {
            throw new RequestException(ErrorCode.TOO_LONG,
                    "\"content\" is longer than " + maxChars + " characters", id);
        }
        return content;
    }

    /** The {@code token} field of an {@code auth} request: a non-empty string of at most {@code maxChars}. */
    String token(int maxChars) throws RequestException {
        String token = string("token");
        if (token.isEmpty() || token.length() > maxChars) {
            throw invalid("\"token\" must be a string of 1 to " + maxChars + " characters");
        }
        return token;
    }

    /**
     * Refuses fields other than {@code type}, {@code id} and {@code allowed}: a misspelt {@code since} or
     * {@code before} would otherwise be ignored silently and answer a different question.
     */
    ClientRequest onlyFields(Set<String> allowed) throws RequestException {
        for (String field : json.keySet()) {
            if (!field.equals("type") && !field.equals("id") && !allowed.contains(field)) {
                throw invalid("unknown field \"" + field + "\" for type " + type);
            }
        }
        return this;
    }

    /** An optional string field of at most {@code maxChars} characters; null when missing or null. */
    String optionalString(String field, int maxChars) throws RequestException {
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        String text = string(field);
        if (text.isEmpty() || text.length() > maxChars) {
            throw invalid("\"" + field + "\" must be a string of 1 to " + maxChars + " characters");
        }
        return text;
    }

    /** An optional whole-number field in {@code [min, max]}; {@code absent} when missing or null. */
    long optionalLong(String field, long min, long max, long absent) throws RequestException {
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            return absent;
        }
        return requiredLong(field, min, max);
    }

    /** A whole-number field in {@code [min, max]}. */
    long requiredLong(String field, long min, long max) throws RequestException {
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            throw invalid("missing \"" + field + "\"");
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw invalid("\"" + field + "\" must be a number");
        }
        BigDecimal number;
        try {
            number = value.getAsBigDecimal();
        } catch (NumberFormatException e) {
            throw invalid("\"" + field + "\" must be a number");
        }
        if (number.signum() != 0 && number.stripTrailingZeros().scale() > 0) {
            throw invalid("\"" + field + "\" must be a whole number");
        }
        if (number.compareTo(BigDecimal.valueOf(min)) < 0 || number.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw invalid("\"" + field + "\" must be between " + min + " and " + max);
        }
        return number.longValueExact();
    }

    private String string(String field) throws RequestException {
        JsonElement value = json.get(field);
        if (value == null || value.isJsonNull()) {
            throw invalid("missing \"" + field + "\"");
        }
        if (!isString(value)) {
            throw invalid("\"" + field + "\" must be a string");
        }
        return value.getAsString();
    }

    private RequestException invalid(String message) {
        return new RequestException(ErrorCode.INVALID, message, id);
    }

    private static boolean isString(JsonElement element) {
        return element.isJsonPrimitive() && element.getAsJsonPrimitive().isString();
    }
}
