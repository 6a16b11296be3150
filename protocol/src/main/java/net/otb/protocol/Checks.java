package net.otb.protocol;

import java.util.regex.Pattern;

/** Field checks shared by the message records; each failure names the field. */
final class Checks {

    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Checks() {
    }

    static String notBlank(String value, String field, int maxLength) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException(field + " is longer than " + maxLength + " characters");
        }
        return value;
    }

    static String optional(String value, String field, int maxLength) {
        if (value != null && value.length() > maxLength) {
            throw new IllegalArgumentException(field + " is longer than " + maxLength + " characters");
        }
        return value;
    }

    static String deviceId(String value, String field) {
        notBlank(value, field, 64);
        if (!DEVICE_ID.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 1-64 letters, digits, '.', '_' or '-': " + value);
        }
        return value;
    }

    static String serviceName(String value, String field) {
        notBlank(value, field, 128);
        if (!SERVICE_NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " has characters outside letters, digits and ._@-: " + value);
        }
        return value;
    }

    static String token(String value, String field) {
        notBlank(value, field, 64);
        if (!TOKEN.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 1-64 letters, digits, '.', '_' or '-': " + value);
        }
        return value;
    }

    static long positive(long value, String field) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
        return value;
    }

    static long nonNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, got " + value);
        }
        return value;
    }

    static int range(int value, int min, int max, String field) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
