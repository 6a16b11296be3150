package net.otb.simulator.hardware;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.DirectoryStateStore;
import net.otb.protocol.BandwidthProfile;

/**
 * A box's own log of every profile its shaper was told to enforce and did, one line each, appended (and
 * flushed to the file) the moment the apply completes: the ground truth a fault campaign checks "no box ever
 * applied an older generation than one it had confirmed" against, which the server's store cannot show.
 *
 * <p>Each line also records the generation the agent's saved state said was confirmed at that instant (read
 * from its {@code state.json}, when the box knows where that is): a rollback restores exactly that one, while a
 * stale push would go below it. A state file that cannot be read at that instant is logged as such: the agent's
 * file must always be wholly old or wholly new.
 *
 * <p>Line format (space-separated): {@code epochMillis generation serviceName offer downKbps upKbps serviceIp
 * confirmedGeneration} where the last is {@code -} when nothing was confirmed yet or {@code unreadable}.
 */
public final class AppliedHistory {

    /** One apply, as logged. */
    public record Entry(long epochMillis, long generation, String serviceName, String offer, long downKbps,
                        long upKbps, String serviceIp, Long confirmedBefore, boolean stateUnreadable) {

        static Entry parse(String line) {
            String[] w = line.trim().split(" ");
            if (w.length != 8) {
                throw new IllegalArgumentException("an applied-history line has 8 fields, got: " + line);
            }
            boolean unreadable = w[7].equals("unreadable");
            Long confirmed = unreadable || w[7].equals("-") ? null : Long.valueOf(w[7]);
            return new Entry(Long.parseLong(w[0]), Long.parseLong(w[1]), w[2], w[3], Long.parseLong(w[4]),
                    Long.parseLong(w[5]), w[6], confirmed, unreadable);
        }

        String line() {
            return epochMillis + " " + generation + " " + serviceName + " " + offer + " " + downKbps + " " + upKbps
                    + " " + serviceIp + " " + (stateUnreadable ? "unreadable" : confirmedBefore == null ? "-"
                    : confirmedBefore.toString()) + "\n";
        }
    }

    private final Path file;
    private final Path stateFile;
    private final Clock clock;

    /**
     * @param file the log, created if missing, appended to across agent restarts
     * @param stateDirectory the agent's state folder, or null when the box does not know it
     */
    public AppliedHistory(Path file, Path stateDirectory, Clock clock) {
        this.file = file;
        this.stateFile = stateDirectory == null ? null : stateDirectory.resolve(DirectoryStateStore.FILE_NAME);
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /** Logs that {@code profile} is now in force. */
    synchronized void applied(BandwidthProfile profile) {
        Long confirmed = null;
        boolean unreadable = false;
        if (stateFile != null) {
            try {
                AgentState saved = readState(stateFile);
                BandwidthProfile last = saved.pending() == null ? saved.applied() : saved.previous();
                confirmed = last == null ? null : last.generation();
            } catch (IOException | RuntimeException e) {
                unreadable = true;
            }
        }
        Entry entry = new Entry(clock.millis(), profile.generation(), profile.serviceName(), profile.offer(),
                profile.downKbps(), profile.upKbps(), profile.serviceIp(), confirmed, unreadable);
        try {
            Files.writeString(file, entry.line(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the applied history " + file, e);
        }
    }

    /**
     * Reads an agent's {@code state.json} without touching the folder ({@code StateStore#load} also sweeps the
     * temporary files of an interrupted save, which would break the running agent's save in progress).
     *
     * @return {@link AgentState#EMPTY} when there is no file yet
     * @throws IOException when the file exists but does not parse as a complete state
     */
    public static AgentState readState(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return AgentState.EMPTY;
        }
        return DirectoryStateStore.parse(bytes, file);
    }

    /** Reads a log; an absent file is an empty history. A torn last line (the process killed mid-write) is skipped. */
    public static List<Entry> read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Entry> entries = new ArrayList<>(lines.size());
        String content = Files.readString(file, StandardCharsets.UTF_8);
        boolean lastComplete = content.endsWith("\n");
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank() || (i == lines.size() - 1 && !lastComplete)) {
                continue;
            }
            entries.add(Entry.parse(lines.get(i)));
        }
        return entries;
    }
}
