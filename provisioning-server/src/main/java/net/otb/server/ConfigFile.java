package net.otb.server;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The server's config file: one {@code key = value} a line, {@code #} comments, each key a long option of
 * {@link ServerMain} without its dashes ({@code agent-port = 4443}). The file gives the defaults; an option on the
 * command line overrides it. Everything is checked when the file is read, and the first mistake is reported with the
 * file, the line and the key: an unknown key (a typo is not a default), a key given twice, a line without
 * {@code =}, a value that is not of the option's type or range. Relative paths are resolved against the file's
 * folder, so a config file means the same thing whatever the working directory.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {

    /** Options that make no sense in a file. */
    private static final Set<String> NOT_IN_A_FILE = Set.of("config", "help", "version", "check-config");

    /** A value of the file, with where it came from. */
    record Entry(String key, String value, int line) {
    }

    private final Path file;
    private final Map<String, Entry> entries;

    private ConfigFile(Path file, Map<String, Entry> entries) {
        this.file = file;
        this.entries = entries;
    }

    /**
     * Reads and checks {@code file} against the options of {@code spec}.
     *
     * @throws IllegalArgumentException naming the file, the line and the key of the first mistake
     */
    static ConfigFile read(Path file, CommandSpec spec) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("config file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the config file " + file + ": " + e.getMessage());
        }
        Path folder = file.toAbsolutePath().getParent();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            int number = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            if (equals < 0) {
                throw error(file, number, null, "expected key = value, got '" + line + "'");
            }
            String key = line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            OptionSpec option = key.isEmpty() || NOT_IN_A_FILE.contains(key) ? null : spec.findOption("--" + key);
            if (option == null) {
                throw error(file, number, key, "unknown key (the keys are the long options of --help without the "
                        + "leading dashes, e.g. agent-port)");
            }
            if (entries.containsKey(key)) {
                throw error(file, number, key, "given twice (first on line " + entries.get(key).line() + ")");
            }
            entries.put(key, new Entry(key, check(file, number, key, value, option, folder), number));
        }
        return new ConfigFile(file, entries);
    }

    Path file() {
        return file;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (argSpec instanceof OptionSpec option) {
            Entry entry = entries.get(option.longestName().replaceFirst("^--", ""));
            return entry == null ? null : entry.value();
        }
        return null;
    }

    /** Checks a value against its option's type; returns it as picocli is to read it. */
    private static String check(Path file, int line, String key, String value, OptionSpec option, Path folder) {
        Class<?> type = option.type();
        if (value.isEmpty()) {
            throw error(file, line, key, "has no value");
        }
        if (type == int.class || type == Integer.class) {
            int number;
            try {
                number = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw error(file, line, key, "'" + value + "' is not an integer");
            }
            if (key.endsWith("-port") ? number < 0 || number > 65535 : number < 0) {
                throw error(file, line, key, key.endsWith("-port") ? "must be between 0 and 65535, got " + number
                        : "must not be negative, got " + number);
            }
        } else if (type == boolean.class || type == Boolean.class) {
            if (!value.equals("true") && !value.equals("false")) {
                throw error(file, line, key, "must be true or false, got '" + value + "'");
            }
        } else if (type == Path.class) {
            return folder.resolve(value).normalize().toString();
        } else if (type == ZoneId.class) {
            try {
                ZoneId.of(value);
            } catch (DateTimeException e) {
                throw error(file, line, key, "'" + value + "' is not a time zone (e.g. Europe/Paris, UTC)");
            }
        } else if (type == Instant.class) {
            try {
                Instant.parse(value);
            } catch (DateTimeParseException e) {
                throw error(file, line, key, "'" + value + "' is not an ISO-8601 instant (e.g. 2028-02-29T10:00:00Z)");
            }
        }
        return value;
    }

    private static IllegalArgumentException error(Path file, int line, String key, String reason) {
        return new IllegalArgumentException(file + " line " + line + (key == null ? "" : ": " + key) + ": " + reason);
    }
}
