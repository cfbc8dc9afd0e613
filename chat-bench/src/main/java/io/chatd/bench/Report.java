package io.chatd.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of a run, in the order they were added: printed as an aligned table for people, and as one JSON
 * object (the last line of stdout) for scripts. Numbers that could not be measured are null in JSON and "-" in
 * the table.
 */
final class Report {

    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();

    /** A figure shown in the table as {@code label} and in JSON as {@code key}. */
    Report add(String key, String label, Object value) {
        Object clean = clean(value);
        json.put(key, clean);
        rows.add(new String[] {label, format(clean)});
        return this;
    }

    /** A figure for JSON only, such as a nested list of sweep steps. */
    Report addJson(String key, Object value) {
        json.put(key, clean(value));
        return this;
    }

    /** A line in the table only: a heading or a warning. */
    Report note(String text) {
        rows.add(new String[] {text});
        return this;
    }

    /** Appends every row and field of {@code other}. */
    Report append(Report other) {
        rows.addAll(other.rows);
        json.putAll(other.json);
        return this;
    }

    /** Appends every row of {@code other} to the table only; its fields go elsewhere (a nested list). */
    Report appendRows(Report other) {
        rows.addAll(other.rows);
        return this;
    }

    /** Appends every row of {@code other}, and its fields with {@code prefix} before their keys. */
    Report appendPrefixed(String prefix, Report other) {
        rows.addAll(other.rows);
        other.json.forEach((key, value) -> json.put(prefix + key, value));
        return this;
    }

    /** The JSON fields, for nesting one report into another. */
    Map<String, Object> fields() {
        return json;
    }

    Object get(String key) {
        return json.get(key);
    }

    String table() {
        int width = 0;
        for (String[] row : rows) {
            if (row.length == 2) {
                width = Math.max(width, row[0].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            if (row.length == 1) {
                out.append(row[0]).append('\n');
            } else {
                out.append("  ").append(row[0]).append(" ".repeat(width - row[0].length() + 2)).append(row[1])
                        .append('\n');
            }
        }
        return out.toString();
    }

    String toJson() {
        return GSON.toJson(json);
    }

    /** Rounds doubles for reading (3 decimals) and turns NaN and infinities, which JSON lacks, into null. */
    static Object clean(Object value) {
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return null;
            }
            return Math.round(d * 1000) / 1000.0;
        }
        return value;
    }

    static String format(Object value) {
        if (value == null) {
            return "-";
        }
        if (value instanceof Double) {
            double d = (Double) value;
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format(Locale.ROOT, "%.0f", d)
                    : String.format(Locale.ROOT, "%.3f", d);
        }
        if (value instanceof Map || value instanceof List) {
            return GSON.toJson(value);
        }
        return value.toString();
    }
}
