package net.otb.simulator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This JVM's heap after a full GC, and the process's resident set size. */
final class MemoryProbe {

    private MemoryProbe() {
    }

    static long heapAfterGc() {
        return BenchServerCommand.heapAfterGc();
    }

    /** VmRSS from /proc/self/status in bytes, or -1 where there is no /proc. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
