package net.otb.simulator.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's load averages over 1, 5 and 15 minutes, as {@code uptime} prints them: a latency figure taken
 * while other work competes for the cores says little, so every figure is printed with the load it was taken in.
 *
 * @param one the 1-minute average, or -1 when unknown
 * @param five the 5-minute average, or -1 when unknown
 * @param fifteen the 15-minute average, or -1 when unknown
 */
public record LoadAverage(double one, double five, double fifteen) {

    private static final Path PROC = Path.of("/proc/loadavg");

    /** Now: from {@code /proc/loadavg}, else the 1-minute average the JVM knows, else unknown. */
    public static LoadAverage now() {
        try {
            return parse(Files.readString(PROC));
        } catch (IOException | IllegalArgumentException e) {
            double one = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return new LoadAverage(one < 0 ? -1 : one, -1, -1);
        }
    }

    /**
     * Reads the first three fields of a {@code /proc/loadavg} line, e.g. {@code 0.52 0.61 0.80 1/234 5678}.
     *
     * @throws IllegalArgumentException when the line does not start with three numbers
     */
    public static LoadAverage parse(String line) {
        String[] fields = line == null ? new String[0] : line.trim().split("\\s+");
        if (fields.length < 3) {
            throw new IllegalArgumentException("a load average line has three numbers first, got: " + line);
        }
        try {
            return new LoadAverage(Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
                    Double.parseDouble(fields[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a load average line has three numbers first, got: " + line, e);
        }
    }

    @Override
    public String toString() {
        if (five < 0) {
            return one < 0 ? "unknown" : String.format("%.2f (1 min)", one);
        }
        return String.format("%.2f, %.2f, %.2f", one, five, fifteen);
    }
}
