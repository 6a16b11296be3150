package net.otb.simulator.hardware;

import java.time.Duration;

/**
 * The faults an operator or a test injects into one box's hardware: applies that fail (the shaper refuses
 * the new rates), applies that take longer than the model's usual time, and a crash in the middle of the
 * next apply (the box loses power: the agent dies with it). Network faults (cut links, lost confirms) live
 * in the {@link net.otb.simulator.fleet.LinkCutter}, between the box and the server. Thread-safe.
 */
public final class Faults {

    private int rejectCount;
    private boolean rejectAlways;
    private String rejectReason = "shaper refused the new rates";
    private long extraApplyMillis;
    private boolean crashOnNextApply;
    private Runnable afterNextApply;

    /** The next {@code count} applies fail with {@code reason}; the rates in force stay. */
    public synchronized Faults rejectNextApplies(int count, String reason) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be 0 or more, got " + count);
        }
        rejectCount = count;
        rejectReason = requireReason(reason);
        return this;
    }

    /** Every apply fails with {@code reason} until {@link #clear()}. */
    public synchronized Faults rejectEveryApply(String reason) {
        rejectAlways = true;
        rejectReason = requireReason(reason);
        return this;
    }

    /** Every apply takes {@code extra} longer than the model's usual time, until {@link #clear()}. */
    public synchronized Faults slowApplies(Duration extra) {
        if (extra.isNegative()) {
            throw new IllegalArgumentException("extra apply time must not be negative, got " + extra);
        }
        extraApplyMillis = extra.toMillis();
        return this;
    }

    /** The box crashes during its next apply: the shaping in force stays and its agent dies. */
    public synchronized Faults crashOnNextApply() {
        crashOnNextApply = true;
        return this;
    }

    /**
     * Runs {@code action} once, when the next apply is in force on the shaper but before the agent hears of it:
     * cutting the box's link there loses the {@code applied} report and the server's {@code confirm}.
     */
    public synchronized Faults afterNextApply(Runnable action) {
        afterNextApply = action;
        return this;
    }

    /** Removes every injected fault. */
    public synchronized Faults clear() {
        rejectCount = 0;
        rejectAlways = false;
        extraApplyMillis = 0;
        crashOnNextApply = false;
        afterNextApply = null;
        return this;
    }

    /** Consumes the action to run after this apply, or null. */
    synchronized Runnable takeAfterApply() {
        Runnable action = afterNextApply;
        afterNextApply = null;
        return action;
    }

    synchronized long extraApplyMillis() {
        return extraApplyMillis;
    }

    /** Consumes one crash; true when this apply must crash the box. */
    synchronized boolean takeCrash() {
        boolean crash = crashOnNextApply;
        crashOnNextApply = false;
        return crash;
    }

    /** Consumes one rejection; the reason when this apply must fail, else null. */
    synchronized String takeRejection() {
        if (rejectAlways) {
            return rejectReason;
        }
        if (rejectCount > 0) {
            rejectCount--;
            return rejectReason;
        }
        return null;
    }

    private static String requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a rejection needs a reason (it is shown to the operator)");
        }
        return reason;
    }
}
