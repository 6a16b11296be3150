package net.otb.simulator.bench;

import java.util.List;
import java.util.function.ToLongFunction;
import net.otb.simulator.hardware.BoxModel;

/**
 * One offer change, from billing's payment notification to the server's confirm at the box, as instants of
 * {@link System#nanoTime()} in the JVM that runs the server and the box alike.
 *
 * @param model the box that changed
 * @param paySent the payment notification is about to be sent
 * @param answered its HTTP answer was read
 * @param committed the server committed the change (its after-commit hook told the gateway)
 * @param pushed the box's agent handed the pushed profile to its hardware
 * @param shaped the simulated shaper enforces the new rates
 * @param applied the agent reported the profile applied (state saved, {@code applied} about to go out)
 * @param confirmed the server's {@code confirm} reached the agent: the server recorded {@code applied}
 */
public record Timeline(BoxModel model, long paySent, long answered, long committed, long pushed, long shaped,
                       long applied, long confirmed) {

    public Timeline {
        if (model == null) {
            throw new IllegalArgumentException("a timeline names its box model");
        }
        // the causal order of one change; the HTTP answer races the push, so it is only after the commit
        if (committed < paySent || answered < committed || pushed < committed || shaped < pushed
                || applied < shaped || confirmed < applied) {
            throw new IllegalArgumentException("instants out of causal order: " + this);
        }
    }

    /** The stretches of a change that the benchmark reports. */
    public enum Stage {
        PAY_TO_COMMIT("payment → change committed", t -> t.committed - t.paySent),
        PAY_TO_ANSWER("payment → HTTP answer read", t -> t.answered - t.paySent),
        COMMIT_TO_PUSH("commit → push at the agent", t -> t.pushed - t.committed),
        SHAPER("push → shaper done (simulated)", t -> t.shaped - t.pushed),
        SHAPER_TO_APPLIED("shaper done → agent applied", t -> t.applied - t.shaped),
        PAY_TO_APPLIED("PAYMENT → AGENT APPLIED", t -> t.applied - t.paySent),
        /** What the software adds to the box's own reprogramming time. */
        PAY_TO_APPLIED_LESS_SHAPER("  the same less the shaper's time", t -> t.applied - t.paySent - (t.shaped - t.pushed)),
        APPLIED_TO_CONFIRM("applied → server's confirm", t -> t.confirmed - t.applied),
        PAY_TO_CONFIRM("payment → server recorded applied", t -> t.confirmed - t.paySent);

        private final String label;
        private final ToLongFunction<Timeline> nanos;

        Stage(String label, ToLongFunction<Timeline> nanos) {
            this.label = label;
            this.nanos = nanos;
        }

        public String label() {
            return label;
        }

        /** How long this stretch of {@code timeline} took, in nanoseconds. */
        public long nanos(Timeline timeline) {
            return nanos.applyAsLong(timeline);
        }

        /** The percentiles of this stretch over {@code timelines}. */
        public Latencies.Summary summary(List<Timeline> timelines) {
            Latencies latencies = new Latencies(timelines.size());
            for (int i = 0; i < timelines.size(); i++) {
                latencies.record(i, nanos(timelines.get(i)));
            }
            return latencies.summary();
        }
    }
}
