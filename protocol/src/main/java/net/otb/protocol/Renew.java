package net.otb.protocol;

/** Agent → server: sign this PKCS#10 request (PEM) for a fresh key before the certificate expires. */
public record Renew(String csr) implements Message {

    public static final String TYPE = "renew";

    public Renew {
        Checks.notBlank(csr, "csr", 16_384);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
