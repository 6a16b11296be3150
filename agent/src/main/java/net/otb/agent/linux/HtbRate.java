package net.otb.agent.linux;

import java.util.List;
import net.otb.protocol.BandwidthProfile;

/**
 * The HTB class parameters for one rate, from 20 Mbit/s to a few Gbit/s.
 *
 * <ul>
 *   <li>{@code rate = ceil}: the class is alone under the root, there is nothing to borrow from, and a ceil above
 *       the rate would let the box exceed the offer.</li>
 *   <li>{@code burst = cburst = max(3,200 B, 1 ms at the rate)}: HTB sends only when it holds tokens, and it is
 *       woken by a timer and softirqs whose latency on a small box CPU is of the order of a millisecond; a bucket
 *       smaller than what the rate delivers in that time caps throughput below the rate (tc's own default, about
 *       one 1,600-byte frame, does at 1 Gbit/s). One millisecond at the rate (2,500 B at 20 Mbit/s, 125 kB at
 *       1 Gbit/s, 250 kB at 2 Gbit/s) lets the class keep up, and costs at most one millisecond of line-rate
 *       burst, i.e. at most 1 ms of extra queue upstream. The floor of two 1,600-byte frames keeps low rates able
 *       to send a full-size frame without going into debt.</li>
 *   <li>{@code quantum = min(burst, 200,000 B)}: a DRR round should carry at least one full frame and about what
 *       one token period allows; the kernel clamps quantum at 200,000 and warns for every class whose default
 *       ({@code rate / r2q}) is outside [1,000, 200,000], which the default would be at every rate we use.</li>
 * </ul>
 *
 * @param kbps the rate in kbit/s (1,000 bit/s)
 * @param burstBytes the rate and ceil buckets, bytes
 * @param quantumBytes the DRR quantum, bytes
 */
public record HtbRate(long kbps, long burstBytes, long quantumBytes) {

    static final long MIN_BURST_BYTES = 3_200;
    static final long MAX_QUANTUM_BYTES = 200_000;

    public HtbRate {
        if (kbps <= 0 || kbps > BandwidthProfile.MAX_KBPS) {
            throw new IllegalArgumentException("kbps must be in 1.." + BandwidthProfile.MAX_KBPS + ", got " + kbps);
        }
        if (burstBytes < MIN_BURST_BYTES || quantumBytes < 1 || quantumBytes > MAX_QUANTUM_BYTES) {
            throw new IllegalArgumentException("burst " + burstBytes + " / quantum " + quantumBytes + " out of range");
        }
    }

    /** The parameters this backend uses for {@code kbps}. */
    public static HtbRate of(long kbps) {
        if (kbps <= 0 || kbps > BandwidthProfile.MAX_KBPS) {
            throw new IllegalArgumentException("kbps must be in 1.." + BandwidthProfile.MAX_KBPS + ", got " + kbps);
        }
        long oneMillisecond = (kbps + 7) / 8; // kbit/s × 1 ms = bits; / 8 = bytes, rounded up
        long burst = Math.max(MIN_BURST_BYTES, oneMillisecond);
        return new HtbRate(kbps, burst, Math.min(burst, MAX_QUANTUM_BYTES));
    }

    /** The {@code htb} class options, as {@code tc class add|change … htb} takes them. */
    List<String> classOptions() {
        String rate = kbps + "kbit";
        return List.of("rate", rate, "ceil", rate, "burst", Long.toString(burstBytes),
                "cburst", Long.toString(burstBytes), "quantum", Long.toString(quantumBytes));
    }
}
