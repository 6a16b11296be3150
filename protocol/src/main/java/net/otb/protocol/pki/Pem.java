package net.otb.protocol.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Reads and writes PEM: certificates and chains, PKCS#8 private keys, PKCS#10 requests.
 *
 * <p>Certificates and unencrypted PKCS#8 keys of the usual algorithms are read with the JDK alone; anything
 * else (other PEM objects, SEC1 keys, text the JDK refuses) goes to BouncyCastle, which also words the
 * refusals. A box reads its key, chain and CA at every start, and BouncyCastle's PEM parser and ASN.1 classes
 * cost it ~160 classes and ~4 MB allocated there (docs/benchmarks.md).
 */
public final class Pem {

    private static final String[] KEY_ALGORITHMS = {"EC", "RSA", "Ed25519", "Ed448"};

    private Pem() {
    }

    public static String write(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object object : objects) {
                if (object instanceof PrivateKey key) {
                    // PKCS#8 ("BEGIN PRIVATE KEY") is what OpenSSL, Netty and the JDK all read
                    writer.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
                } else {
                    writer.writeObject(object);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM", e);
        }
        return out.toString();
    }

    public static String writeChain(List<X509Certificate> chain) {
        return write(chain.toArray());
    }

    public static List<X509Certificate> readCertificates(String pem) throws PkiException {
        List<byte[]> blocks = blocks(pem, "CERTIFICATE");
        if (blocks != null && !blocks.isEmpty()) {
            try {
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                List<X509Certificate> certificates = new ArrayList<>(blocks.size());
                for (byte[] der : blocks) {
                    certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
                return certificates;
            } catch (CertificateException | ClassCastException e) {
                // BouncyCastle below words the refusal as it always has
            }
        }
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object object : readObjects(new StringReader(pem), "certificate chain")) {
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new PkiException("expected certificates, found " + describe(object));
            }
            try {
                certificates.add(converter.getCertificate(holder));
            } catch (CertificateException e) {
                throw new PkiException("unreadable certificate: " + e.getMessage(), e);
            }
        }
        if (certificates.isEmpty()) {
            throw new PkiException("no certificate found in PEM text");
        }
        return certificates;
    }

    public static PrivateKey readPrivateKey(String pem) throws PkiException {
        List<byte[]> blocks = blocks(pem, "PRIVATE KEY");
        if (blocks != null && blocks.size() == 1) {
            PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(blocks.get(0));
            for (String algorithm : KEY_ALGORITHMS) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                } catch (GeneralSecurityException e) {
                    // not this algorithm's key: try the next, then BouncyCastle
                }
            }
        }
        List<Object> objects = readObjects(new StringReader(pem), "private key");
        if (objects.size() != 1) {
            throw new PkiException("expected exactly one private key, found " + objects.size() + " PEM objects");
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try {
            Object object = objects.get(0);
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                // a SEC1 key may omit its public half, which getKeyPair needs and the agent does not
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new PkiException("expected a private key, found " + describe(object));
        } catch (IOException e) {
            throw new PkiException("unreadable private key: " + e.getMessage(), e);
        }
    }

    public static PKCS10CertificationRequest readCsr(String pem) throws PkiException {
        List<Object> objects = readObjects(new StringReader(pem), "certificate request");
        if (objects.size() != 1 || !(objects.get(0) instanceof PKCS10CertificationRequest csr)) {
            throw new PkiException("expected exactly one PKCS#10 certificate request");
        }
        return csr;
    }

    public static List<X509Certificate> readCertificates(Path file) throws PkiException {
        try {
            return readCertificates(readFile(file));
        } catch (PkiException e) {
            throw new PkiException(file + ": " + e.getMessage(), e);
        }
    }

    public static PrivateKey readPrivateKey(Path file) throws PkiException {
        try {
            return readPrivateKey(readFile(file));
        } catch (PkiException e) {
            throw new PkiException(file + ": " + e.getMessage(), e);
        }
    }

    static String readFile(Path file) throws PkiException {
        try {
            if (Files.size(file) > 1_000_000) {
                throw new PkiException("larger than 1 MB, not a PEM file");
            }
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new PkiException("no such file");
        } catch (IOException e) {
            throw new PkiException("cannot read: " + e.getMessage(), e);
        }
    }

    private static List<Object> readObjects(Reader source, String what) throws PkiException {
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(source)) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                objects.add(object);
            }
        } catch (IOException | RuntimeException e) {
            throw new PkiException("unreadable PEM " + what + ": " + e.getMessage(), e);
        }
        return objects;
    }

    /**
     * The DER of each PEM block of {@code label} in {@code pem}, or {@code null} when the text holds a block of
     * another label, PEM headers (an encrypted key) or damaged Base64: cases left to BouncyCastle.
     */
    private static List<byte[]> blocks(String pem, String label) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        List<byte[]> blocks = new ArrayList<>();
        StringBuilder base64 = null;
        for (String line : pem.split("\r?\n")) {
            String trimmed = line.strip();
            if (base64 == null) {
                if (trimmed.equals(begin)) {
                    base64 = new StringBuilder();
                } else if (trimmed.startsWith("-----")) {
                    return null;
                }
            } else if (trimmed.equals(end)) {
                try {
                    blocks.add(Base64.getDecoder().decode(base64.toString()));
                } catch (IllegalArgumentException e) {
                    return null;
                }
                base64 = null;
            } else if (trimmed.startsWith("-----") || trimmed.indexOf(':') >= 0) {
                return null;
            } else {
                base64.append(trimmed);
            }
        }
        return base64 == null ? blocks : null;
    }

    private static String describe(Object object) {
        return object == null ? "nothing" : object.getClass().getSimpleName();
    }
}
