package net.otb.protocol.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;

/** Which TLS engine to use: BoringSSL through netty-tcnative, the JDK's, or the best available. */
public enum TlsProvider {
    /** BoringSSL when its native library loads, else the JDK. */
    AUTO,
    /** BoringSSL (netty-tcnative); fails at start when the native library cannot load. */
    OPENSSL,
    /** The JDK's own engine: slower handshakes, no native code. */
    JDK;

    /** Parses a config value: {@code auto}, {@code openssl} (or {@code boringssl}), {@code jdk}. */
    public static TlsProvider parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> AUTO;
            case "openssl", "boringssl" -> OPENSSL;
            case "jdk" -> JDK;
            default -> throw new IllegalArgumentException("tls provider must be auto, openssl or jdk, got: " + value);
        };
    }

    /**
     * The Netty provider this choice resolves to on this machine.
     *
     * @throws IllegalStateException when {@link #OPENSSL} is asked for and BoringSSL is not available
     */
    public SslProvider resolve() {
        return switch (this) {
            case JDK -> SslProvider.JDK;
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException("the BoringSSL provider is not available: "
                            + OpenSsl.unavailabilityCause());
                }
                yield SslProvider.OPENSSL;
            }
            case AUTO -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        };
    }

    /** A short name for logs and benchmark reports. */
    public static String describe(SslProvider provider) {
        return provider == SslProvider.JDK ? "jdk" : "boringssl (" + OpenSsl.versionString() + ")";
    }
}
