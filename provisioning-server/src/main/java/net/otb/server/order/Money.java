package net.otb.server.order;

import java.math.BigDecimal;

/**
 * An amount in euro cents; integers all the way, so no rounding ever creeps into a price or an order.
 * {@link #value()} and {@link #text()} give the public OverTheBox API's {@code {currencyCode, text, value}} shape.
 */
public record Money(long cents) {

    public static final String CURRENCY = "EUR";
    public static final Money ZERO = new Money(0);

    public Money {
        if (cents < 0) {
            throw new IllegalArgumentException("an amount must not be negative, got " + cents + " cents");
        }
    }

    public static Money cents(long cents) {
        return new Money(cents);
    }

    /**
     * @throws ArithmeticException if the sum overflows
     */
    public Money plus(Money other) {
        return new Money(Math.addExact(cents, other.cents));
    }

    public String currencyCode() {
        return CURRENCY;
    }

    /** The amount in euros, exact (scale 2). */
    public BigDecimal value() {
        return BigDecimal.valueOf(cents, 2);
    }

    /** As the public API prints it, e.g. {@code 19.99 €}. */
    public String text() {
        return value().toPlainString() + " €";
    }
}
