package net.otb.server.refund;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

class ProrataRefundTest {

    /** February 2026 (28 days), February 2028 (29), April 2026 (30), January 2026 (31). */
    private static final List<YearMonth> MONTHS = List.of(YearMonth.of(2026, 2), YearMonth.of(2028, 2),
            YearMonth.of(2026, 4), YearMonth.of(2026, 1));

    private static long expected(long price, LocalDate day) {
        int daysInMonth = day.lengthOfMonth();
        return BigDecimal.valueOf(price)
                .multiply(BigDecimal.valueOf(daysInMonth - day.getDayOfMonth() + 1L))
                .divide(BigDecimal.valueOf(daysInMonth), 0, RoundingMode.HALF_UP)
                .longValueExact();
    }

    @Property(tries = 400)
    void everyDayOfMonthsOf28To31DaysMatchesTheFormula(@ForAll @LongRange(min = 0, max = 10_000_000_000L) long price) {
        for (YearMonth month : MONTHS) {
            for (int d = 1; d <= month.lengthOfMonth(); d++) {
                LocalDate day = month.atDay(d);
                ProrataRefund refund = ProrataRefund.of(price, day);
                assertThat(refund.amountCents()).as("%d cents on %s", price, day).isEqualTo(expected(price, day));
                assertThat(refund.refundedDays()).isEqualTo(month.lengthOfMonth() - d + 1);
                assertThat(refund.amountCents()).isBetween(0L, price);
            }
        }
    }

    @Property(tries = 200)
    void smallPricesWhereHalfwayCasesAreFrequentRoundUp(@ForAll @LongRange(min = 0, max = 200) long price) {
        for (YearMonth month : MONTHS) {
            for (int d = 1; d <= month.lengthOfMonth(); d++) {
                LocalDate day = month.atDay(d);
                assertThat(ProrataRefund.of(price, day).amountCents()).isEqualTo(expected(price, day));
            }
        }
    }

    @Example
    void firstDayOfTheMonthRefundsTheWholeMonth() {
        assertThat(ProrataRefund.of(1999, LocalDate.of(2026, 3, 1)).amountCents()).isEqualTo(1999);
    }

    @Example
    void lastDayOfTheMonthRefundsOneDay() {
        // 1999 × 1 / 31 = 64.48… → 64
        ProrataRefund refund = ProrataRefund.of(1999, LocalDate.of(2026, 3, 31));
        assertThat(refund.refundedDays()).isEqualTo(1);
        assertThat(refund.amountCents()).isEqualTo(64);
    }

    @Example
    void starterChangedOnTheFifteenthOfAThirtyDayMonth() {
        // 1999 × 16 / 30 = 1066.133… → 1066
        ProrataRefund refund = ProrataRefund.of(1999, LocalDate.of(2026, 4, 15));
        assertThat(refund).isEqualTo(new ProrataRefund(1999, LocalDate.of(2026, 4, 15), 15, 30, 16, 1066));
    }

    @Example
    void exactHalfRoundsUp() {
        // 15 × 14 / 28 = 7.5 → 8
        assertThat(ProrataRefund.of(15, LocalDate.of(2026, 2, 15)).amountCents()).isEqualTo(8);
        // 29 days: 29 × 15 / 29 = 15 exactly, no rounding
        assertThat(ProrataRefund.of(29, LocalDate.of(2028, 2, 15)).amountCents()).isEqualTo(15);
    }

    @Example
    void businessOnTheTenthOfALeapFebruary() {
        // 3999 × 20 / 29 = 2757.93… → 2758
        assertThat(ProrataRefund.of(3999, LocalDate.of(2028, 2, 10)).amountCents()).isEqualTo(2758);
    }

    @Example
    void inconsistentInputsAreRefused() {
        assertThatThrownBy(() -> new ProrataRefund(1999, LocalDate.of(2026, 4, 15), 15, 30, 16, 1067))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("amountCents");
        assertThatThrownBy(() -> new ProrataRefund(1999, LocalDate.of(2026, 4, 15), 14, 30, 16, 1066))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProrataRefund.of(-1, LocalDate.of(2026, 4, 15)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
