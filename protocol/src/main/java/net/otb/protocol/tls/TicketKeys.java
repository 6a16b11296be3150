package net.otb.protocol.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS session-ticket keys, so that a box that reconnects resumes its TLS 1.3 session (PSK with
 * ECDHE: the traffic keys still come from a fresh key exchange, forward secrecy stays) instead of paying a full
 * handshake, also after a server restart and on any instance that holds the same secret.
 *
 * <p>The keys are not stored: each is derived from one secret and the number of the rotation period the clock
 * is in ({@code epoch = now / rotation}), with HMAC-SHA256 as the expansion. The current period's key seals new
 * tickets; the previous period's still opens them, so a ticket is accepted for one to two periods, and the
 * session timeout the context is built with (one period) bounds it too. Every holder of the secret derives the
 * same keys at the same time without talking to the others; rotation needs no coordination.
 *
 * <p>Whoever holds the secret can forge a ticket for any certificate, so it is kept like a private key: a file
 * readable by its owner only. The gateway still checks a resumed session's certificate against the revocation
 * list and the registered device before it welcomes the box.
 *
 * <p>Only BoringSSL (netty-tcnative) takes ticket keys from us; the JDK provider seals its tickets with keys of
 * its own, which a restart loses ({@link #install} says so in the log once). Thread-safe.
 */
public final class TicketKeys {

    /** The default rotation period: tickets live 12 to 24 hours. */
    public static final Duration DEFAULT_ROTATION = Duration.ofHours(12);

    private static final int SECRET_BYTES = 32;
    private static final byte[] LABEL = "otb tls ticket key v1".getBytes(StandardCharsets.US_ASCII);
    private static final Logger LOG = LoggerFactory.getLogger(TicketKeys.class);

    private final byte[] secret;
    private final Duration rotation;
    private final Clock clock;
    private volatile long installedEpoch = Long.MIN_VALUE;

    private TicketKeys(byte[] secret, Duration rotation, Clock clock) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("a ticket secret needs at least 16 bytes, got " + secret.length);
        }
        if (rotation.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("the ticket key rotation must be at least one second, got " + rotation);
        }
        this.secret = secret.clone();
        this.rotation = rotation;
        this.clock = clock;
    }

    /** Keys derived from {@code secret}, rotated every {@code rotation} of {@code clock}. */
    public static TicketKeys of(byte[] secret, Duration rotation, Clock clock) {
        return new TicketKeys(secret, rotation, clock);
    }

    /**
     * Keys derived from the secret in {@code file}, which is made (32 random bytes, hex, owner-only) when absent.
     *
     * @throws IOException when the file cannot be read or made, or holds no usable secret
     */
    public static TicketKeys loadOrCreate(Path file, Duration rotation, Clock clock, SecureRandom random)
            throws IOException {
        if (!Files.exists(file)) {
            create(file, random);
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        byte[] secret;
        try {
            secret = HexFormat.of().parseHex(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("the TLS ticket secret " + file + " is not hex: " + e.getMessage());
        }
        if (secret.length < 16) {
            throw new IOException("the TLS ticket secret " + file + " holds " + secret.length
                    + " bytes; at least 16 are needed");
        }
        return new TicketKeys(secret, rotation, clock);
    }

    private static void create(Path file, SecureRandom random) throws IOException {
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(secret);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, ".ticket-secret", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, HexFormat.of().formatHex(secret) + "\n", StandardCharsets.US_ASCII);
            try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                // never replace a secret another process made meanwhile: its tickets are out there
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file);
            }
        } catch (FileAlreadyExistsException e) {
            LOG.debug("ticket secret {} made by another process meanwhile", file);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    public Duration rotation() {
        return rotation;
    }

    /** The session timeout to build a context with, in seconds: one rotation period. */
    public long sessionTimeoutSeconds() {
        return rotation.toSeconds();
    }

    /** The rotation period the clock is in now. */
    public long epoch() {
        return Math.floorDiv(clock.millis(), rotation.toMillis());
    }

    /**
     * The keys of {@code epoch}: its own first (it seals new tickets), then the previous period's (still
     * opens the tickets it sealed).
     */
    public OpenSslSessionTicketKey[] keysFor(long epoch) {
        return new OpenSslSessionTicketKey[] {derive(epoch), derive(epoch - 1)};
    }

    /**
     * Installs the current keys in {@code context} when it is a BoringSSL context (a JDK context keeps its own);
     * does nothing when they are installed already. Call it at start and then often (every minute is plenty):
     * it is how the keys rotate.
     *
     * @return whether keys were installed by this call
     */
    public boolean install(SslContext context) {
        long epoch = epoch();
        if (!(context.sessionContext() instanceof OpenSslSessionContext openssl)) {
            if (installedEpoch == Long.MIN_VALUE) {
                installedEpoch = epoch;
                LOG.info("TLS session tickets: the JDK provider seals them with keys of its own; a restart or another"
                        + " instance will not resume them");
            }
            return false;
        }
        synchronized (this) {
            if (epoch == installedEpoch) {
                return false;
            }
            openssl.setTicketKeys(keysFor(epoch));
            boolean first = installedEpoch == Long.MIN_VALUE;
            installedEpoch = epoch;
            LOG.info("TLS session tickets: {} keys of period {} (rotation every {})", first ? "installed" : "rotated to the",
                    epoch, rotation);
            return true;
        }
    }

    private OpenSslSessionTicketKey derive(long epoch) {
        byte[] block1 = hmac(epoch, (byte) 1);
        byte[] block2 = hmac(epoch, (byte) 2);
        byte[] material = new byte[64];
        System.arraycopy(block1, 0, material, 0, 32);
        System.arraycopy(block2, 0, material, 32, 32);
        byte[] name = Arrays.copyOfRange(material, 0, OpenSslSessionTicketKey.NAME_SIZE);
        int at = OpenSslSessionTicketKey.NAME_SIZE;
        byte[] hmacKey = Arrays.copyOfRange(material, at, at + OpenSslSessionTicketKey.HMAC_KEY_SIZE);
        at += OpenSslSessionTicketKey.HMAC_KEY_SIZE;
        byte[] aesKey = Arrays.copyOfRange(material, at, at + OpenSslSessionTicketKey.AES_KEY_SIZE);
        return new OpenSslSessionTicketKey(name, hmacKey, aesKey);
    }

    private byte[] hmac(long epoch, byte counter) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(LABEL);
            mac.update(ByteBuffer.allocate(Long.BYTES).putLong(epoch).array());
            mac.update(counter);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
