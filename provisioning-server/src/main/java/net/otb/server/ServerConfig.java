package net.otb.server;

import java.nio.file.Path;
import java.time.ZoneId;
import net.otb.server.cluster.ClusterConfig;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.api.HttpConfig;
import net.otb.server.gateway.GatewayConfig;
import net.otb.server.store.StoreConfig;

/**
 * Everything the server needs to start.
 *
 * @param dataDir holds the H2 database and, when no PKI is configured, the dev PKI ({@code DATADIR/pki})
 * @param pki the server's certificate, key, trusted CA and revocation list; null for the dev PKI
 * @param catalogFile a catalog JSON file, or null for the bundled defaults
 * @param tls the TLS engine of the agent gateway
 * @param billingZone the zone of the billing day: an offer change's effective date and so its prorata refund are the
 *        day in this zone when the change takes effect (default {@link #DEFAULT_BILLING_ZONE})
 * @param cluster this instance's id and lease among the instances on one database (docs/scale-out.md)
 */
public record ServerConfig(Path dataDir, GatewayConfig gateway, HttpConfig http, StoreConfig store, PkiConfig pki,
                           Path catalogFile, TlsProvider tls, ZoneId billingZone, ClusterConfig cluster) {

    /** The guide's market: a customer in France paying at 00:30 local time is billed on that day, not the day before. */
    public static final ZoneId DEFAULT_BILLING_ZONE = ZoneId.of("Europe/Paris");

    /**
     * Files of a PKI that is not the dev one.
     *
     * @param caCertificate the CA that issues box certificates (PEM)
     * @param serverCertificate the server's chain (PEM, leaf first)
     * @param serverKey the server's key (PKCS#8 PEM)
     * @param caKey the CA's key, to sign renewals; null when renewals are signed elsewhere
     * @param revocationFile the revocation list (JSON), created on the first revocation
     */
    public record PkiConfig(Path caCertificate, Path serverCertificate, Path serverKey, Path caKey, Path revocationFile) {
        public PkiConfig {
            if (caCertificate == null || serverCertificate == null || serverKey == null || revocationFile == null) {
                throw new IllegalArgumentException("a PKI needs the CA certificate, the server certificate and key, "
                        + "and a revocation list file");
            }
        }
    }

    public ServerConfig {
        if (dataDir == null) {
            throw new IllegalArgumentException("dataDir is required");
        }
        if (gateway == null || http == null || store == null || tls == null || billingZone == null || cluster == null) {
            throw new IllegalArgumentException("gateway, http, store, tls, billing zone and cluster settings are required");
        }
        if (gateway.port() != 0 && gateway.port() == http.port()) {
            throw new IllegalArgumentException("the agent port and the http port must differ, both are " + http.port());
        }
    }

    /** A configuration billed in {@link #DEFAULT_BILLING_ZONE}. */
    public ServerConfig(Path dataDir, GatewayConfig gateway, HttpConfig http, StoreConfig store, PkiConfig pki,
                        Path catalogFile, TlsProvider tls) {
        this(dataDir, gateway, http, store, pki, catalogFile, tls, DEFAULT_BILLING_ZONE, ClusterConfig.defaults());
    }

    /** A configuration with the default instance id and lease. */
    public ServerConfig(Path dataDir, GatewayConfig gateway, HttpConfig http, StoreConfig store, PkiConfig pki,
                        Path catalogFile, TlsProvider tls, ZoneId billingZone) {
        this(dataDir, gateway, http, store, pki, catalogFile, tls, billingZone, ClusterConfig.defaults());
    }

    /** The embedded default: H2 and the dev PKI in {@code dataDir}, ports 4443 and 8080 on loopback. */
    public static ServerConfig defaults(Path dataDir) {
        return new ServerConfig(dataDir, GatewayConfig.defaults(), HttpConfig.defaults(), StoreConfig.h2(dataDir), null,
                null, TlsProvider.AUTO);
    }

    /** The defaults on ports chosen by the system (tests, the simulator, the demo). */
    public static ServerConfig ephemeral(Path dataDir) {
        ServerConfig d = defaults(dataDir);
        return d.withGateway(d.gateway().withPort(0)).withHttp(d.http().withPort(0));
    }

    /** The default key file that seals the API's application secrets. */
    public Path apiSecretsKeyFile() {
        return dataDir.resolve("api-secrets.key");
    }

    /** The dev PKI's folder. */
    public Path devPkiDir() {
        return dataDir.resolve("pki");
    }

    public ServerConfig withGateway(GatewayConfig g) {
        return new ServerConfig(dataDir, g, http, store, pki, catalogFile, tls, billingZone, cluster);
    }

    public ServerConfig withHttp(HttpConfig h) {
        return new ServerConfig(dataDir, gateway, h, store, pki, catalogFile, tls, billingZone, cluster);
    }

    public ServerConfig withStore(StoreConfig s) {
        return new ServerConfig(dataDir, gateway, http, s, pki, catalogFile, tls, billingZone, cluster);
    }

    public ServerConfig withPki(PkiConfig p) {
        return new ServerConfig(dataDir, gateway, http, store, p, catalogFile, tls, billingZone, cluster);
    }

    public ServerConfig withCatalogFile(Path file) {
        return new ServerConfig(dataDir, gateway, http, store, pki, file, tls, billingZone, cluster);
    }

    public ServerConfig withTls(TlsProvider provider) {
        return new ServerConfig(dataDir, gateway, http, store, pki, catalogFile, provider, billingZone, cluster);
    }

    public ServerConfig withCluster(ClusterConfig c) {
        return new ServerConfig(dataDir, gateway, http, store, pki, catalogFile, tls, billingZone, c);
    }

    public ServerConfig withBillingZone(ZoneId zone) {
        return new ServerConfig(dataDir, gateway, http, store, pki, catalogFile, tls, zone, cluster);
    }
}
