package net.otb.simulator.demo;

/**
 * One journey's outcome, as the demo's closing table shows it.
 *
 * @param box the box serving the service at the end (old → new when it was replaced)
 * @param refund the prorata refund's amount, e.g. {@code 12.34 €}, or {@code -} when none
 */
public record SummaryRow(String serviceName, String oldOffer, String newOffer, String box, String ipBefore,
                         String ipAfter, String effectiveDate, String refund) {

    /** The service IP survived the migration. */
    public boolean ipKept() {
        return ipBefore.equals(ipAfter);
    }
}
