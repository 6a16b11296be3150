package net.otb.protocol;

/**
 * Makes a value that came from a peer (a hello field, an HTTP path, a header, a detail string) safe to put in a
 * log line: control characters (C0, DEL, C1), the Unicode line and paragraph separators and the bidirectional
 * overrides are written as escapes ({@code \n}, {@code \r}, {@code \t}, {@code \\}, {@code \"}, {@code \}{@code uXXXX}),
 * so a peer can never start a line of its own or hide text; the result is cut at {@link #MAX_CHARS}.
 * {@link #quote} also wraps the value in double quotes, so where it ends is visible. Stateless.
 */
public final class LogSafe {

    /** Longest text kept from one value; the rest is replaced by a count. */
    public static final int MAX_CHARS = 512;

    private LogSafe() {
    }

    /** The value escaped and quoted: {@code "a\nb"}; {@code null} for null. */
    public static String quote(Object value) {
        if (value == null) {
            return "null";
        }
        return '"' + escape(value) + '"';
    }

    /** The value escaped, not quoted (for values that are mostly plain, such as an address or a path). */
    public static String escape(Object value) {
        if (value == null) {
            return "null";
        }
        String text = value.toString();
        int length = Math.min(text.length(), MAX_CHARS);
        StringBuilder out = null;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            String replacement = replacement(c);
            if (replacement != null && out == null) {
                out = new StringBuilder(length + 16).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        String escaped = out == null ? text.substring(0, length) : out.toString();
        if (text.length() > MAX_CHARS) {
            escaped += "...(" + (text.length() - MAX_CHARS) + " more chars)";
        }
        return escaped;
    }

    private static String replacement(char c) {
        switch (c) {
            case '\n':
                return "\\n";
            case '\r':
                return "\\r";
            case '\t':
                return "\\t";
            case '\\':
                return "\\\\";
            case '"':
                return "\\\"";
            default:
                break;
        }
        boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
        boolean separator = c == '\u2028' || c == '\u2029' || c == '\u0085';
        boolean bidi = (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200e' || c == '\u200f' || c == '\u061c';
        if (control || separator || bidi) {
            return String.format("\\u%04x", (int) c);
        }
        return null;
    }
}
