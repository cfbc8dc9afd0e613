package io.chatd.core;

/**
 * Makes client-controlled text safe to log: control characters (CR, LF, ESC for terminal escapes...), Unicode line
 * separators and bidirectional overrides become {@code \\uXXXX}, and long values are cut, so a client can neither
 * forge log lines nor hide text in them.
 */
final class LogSafe {

    /** Longest logged value; the rest is replaced by an ellipsis. */
    static final int MAX_CHARS = 200;

    private LogSafe() {
    }

    static String escape(CharSequence text) {
        if (text == null) {
            return "null";
        }
        int length = Math.min(text.length(), MAX_CHARS);
        StringBuilder out = new StringBuilder(length + 16);
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == '\u2028' || c == '\u2029'
                    || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\\') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (text.length() > MAX_CHARS) {
            out.append("...");
        }
        return out.toString();
    }
}
