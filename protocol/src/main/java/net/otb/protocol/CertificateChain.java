package net.otb.protocol;

/** Server → agent, answer to {@link Renew}: the new certificate chain in PEM, leaf first. */
public record CertificateChain(String chain) implements Message {

    public static final String TYPE = "certificate";

    public CertificateChain {
        Checks.notBlank(chain, "chain", 32_768);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
