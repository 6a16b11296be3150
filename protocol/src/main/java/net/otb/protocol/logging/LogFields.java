package net.otb.protocol.logging;

/**
 * Log lines an operator can search: {@code event=NAME key=value ...}, one line per event (docs/operations.md#logs).
 * A value from a peer never brings raw control characters, spaces or quotes into the line: {@link #value} writes
 * them as {@code \xNN} and quotes a value that needs it; a long value is cut.
 */
public final class LogFields {

    /** Longer values are cut (a path, a detail): the line stays one line of a sane length. */
    public static final int MAX_VALUE = 200;

    private LogFields() {
    }

    /** {@code raw} as one key=value value: {@code -} for null or empty, else printable ASCII, quoted when it has a space. */
    public static String value(Object raw) {
        if (raw == null) {
            return "-";
        }
        String text = raw.toString();
        if (text.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_VALUE) + 8);
        boolean quote = false;
        int length = Math.min(text.length(), MAX_VALUE);
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                quote = true;
                out.append(c);
            } else if (c == '"' || c == '\\') {
                quote = true;
                out.append('\\').append(c);
            } else if (c < 0x21 || c > 0x7e) {
                out.append(String.format("\\x%02x", c & 0xff));
                if (c > 0xff) {
                    out.setLength(out.length() - 4);
                    out.append(String.format("\\u%04x", (int) c));
                }
            } else {
                if (c == '=') {
                    quote = true;
                }
                out.append(c);
            }
        }
        if (text.length() > MAX_VALUE) {
            out.append("...");
        }
        return quote ? '"' + out.toString() + '"' : out.toString();
    }
}
