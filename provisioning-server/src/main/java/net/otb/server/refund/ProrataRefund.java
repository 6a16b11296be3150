package net.otb.server.refund;

import java.time.LocalDate;
import java.util.Objects;

/**
 * The prorata refund of the current month's billing when an offer change takes effect on {@code effectiveDate}:
 * {@code round_half_up(oldMonthlyCents × (daysInMonth − day + 1) / daysInMonth)}. The customer paid the old offer
 * for the whole month; the days from the effective date to the month's end, both included, are given back.
 * The inputs are kept with the amount so that anyone reading the refund can recompute it.
 *
 * @param oldMonthlyCents the old offer's monthly price in euro cents
 * @param effectiveDate the day the new offer took effect
 * @param dayOfMonth {@code effectiveDate}'s day of month
 * @param daysInMonth the number of days of {@code effectiveDate}'s month (28..31)
 * @param refundedDays {@code daysInMonth − dayOfMonth + 1}
 * @param amountCents the refund in euro cents
 */
public record ProrataRefund(long oldMonthlyCents, LocalDate effectiveDate, int dayOfMonth, int daysInMonth,
                            int refundedDays, long amountCents) {

    public ProrataRefund {
        Objects.requireNonNull(effectiveDate, "effectiveDate");
        if (oldMonthlyCents < 0) {
            throw new IllegalArgumentException("oldMonthlyCents must not be negative, got " + oldMonthlyCents);
        }
        if (dayOfMonth != effectiveDate.getDayOfMonth() || daysInMonth != effectiveDate.lengthOfMonth()) {
            throw new IllegalArgumentException("dayOfMonth and daysInMonth must be those of " + effectiveDate);
        }
        if (refundedDays != daysInMonth - dayOfMonth + 1) {
            throw new IllegalArgumentException("refundedDays must be daysInMonth - dayOfMonth + 1");
        }
        if (amountCents != amount(oldMonthlyCents, refundedDays, daysInMonth)) {
            throw new IllegalArgumentException("amountCents does not follow from the inputs");
        }
    }

    /** The refund for an offer at {@code oldMonthlyCents} replaced on {@code effectiveDate}. */
    public static ProrataRefund of(long oldMonthlyCents, LocalDate effectiveDate) {
        int day = effectiveDate.getDayOfMonth();
        int days = effectiveDate.lengthOfMonth();
        int refunded = days - day + 1;
        return new ProrataRefund(oldMonthlyCents, effectiveDate, day, days, refunded,
                amount(oldMonthlyCents, refunded, days));
    }

    /**
     * {@code round_half_up(price × refundedDays / daysInMonth)} on integers: with q, r the quotient and remainder,
     * the exact value q + r/daysInMonth rounds up when r/daysInMonth ≥ 1/2, i.e. 2r ≥ daysInMonth.
     *
     * @throws ArithmeticException if {@code price × refundedDays} overflows a long (a price of 10^17 cents)
     */
    static long amount(long price, int refundedDays, int daysInMonth) {
        long numerator = Math.multiplyExact(price, (long) refundedDays);
        long quotient = numerator / daysInMonth;
        long remainder = numerator % daysInMonth;
        return 2 * remainder >= daysInMonth ? quotient + 1 : quotient;
    }
}
