package net.otb.simulator.demo;

import java.io.PrintStream;

/** Prints the demo's steps with the time since the start, from any thread, one whole line at a time. */
final class Narrator {

    private final PrintStream out;
    private final long start = System.nanoTime();

    Narrator(PrintStream out) {
        this.out = out;
    }

    void title(String text) {
        synchronized (out) {
            out.println();
            out.println("== " + text);
        }
    }

    void step(String format, Object... args) {
        String line = String.format("[%6.2fs] %s", (System.nanoTime() - start) / 1e9, String.format(format, args));
        synchronized (out) {
            out.println(line);
        }
    }

    void detail(String format, Object... args) {
        String line = "           " + String.format(format, args);
        synchronized (out) {
            out.println(line);
        }
    }

    void raw(String line) {
        synchronized (out) {
            out.println(line);
        }
    }

    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
