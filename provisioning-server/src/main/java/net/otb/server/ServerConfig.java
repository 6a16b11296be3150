package net.otb.server;

import java.nio.file.Path;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.api.HttpConfig;
import net.otb.server.cluster.ClusterConfig;
import net.otb.server.gateway.GatewayConfig;
import net.otb.server.store.StoreConfig;

/**
 * Everything the server needs to start.
 *
 * @param dataDir holds the H2 database and, when no PKI is configured, the dev PKI ({@code DATADIR/pki})
 * @param pki the server's certificate, key, trusted CA and revocation list; null for the dev PKI
 * @param catalogFile a catalog JSON file, or null for the bundled defaults
 * @param tls the TLS engine of the agent gateway
 * @param cluster this instance's id and lease among the instances on one database (docs/scale-out.md)
 */
public record ServerConfig(Path dataDir, GatewayConfig gateway, HttpConfig http, StoreConfig store, PkiConfig pki,
                           Path catalogFile, TlsProvider tls, ClusterConfig cluster) {

    /** The settings with the default instance id and lease. */
    public ServerConfig(Path dataDir, GatewayConfig gateway, HttpConfig http, StoreConfig store, PkiConfig pki,
                        Path catalogFile, TlsProvider tls) {
        this(dataDir, gateway, http, store, pki, catalogFile, tls, ClusterConfig.defaults());
    }

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
        if (gateway == null || http == null || store == null || tls == null || cluster == null) {
            throw new IllegalArgumentException("gateway, http, store, tls and cluster settings are required");
        }
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

    /** The dev PKI's folder. */
    public Path devPkiDir() {
        return dataDir.resolve("pki");
    }

    public ServerConfig withGateway(GatewayConfig g) {
        return new ServerConfig(dataDir, g, http, store, pki, catalogFile, tls, cluster);
    }

    public ServerConfig withHttp(HttpConfig h) {
        return new ServerConfig(dataDir, gateway, h, store, pki, catalogFile, tls, cluster);
    }

    public ServerConfig withStore(StoreConfig s) {
        return new ServerConfig(dataDir, gateway, http, s, pki, catalogFile, tls, cluster);
    }

    public ServerConfig withPki(PkiConfig p) {
        return new ServerConfig(dataDir, gateway, http, store, p, catalogFile, tls, cluster);
    }

    public ServerConfig withCatalogFile(Path file) {
        return new ServerConfig(dataDir, gateway, http, store, pki, file, tls, cluster);
    }

    public ServerConfig withTls(TlsProvider provider) {
        return new ServerConfig(dataDir, gateway, http, store, pki, catalogFile, provider, cluster);
    }

    public ServerConfig withCluster(ClusterConfig c) {
        return new ServerConfig(dataDir, gateway, http, store, pki, catalogFile, tls, c);
    }
}
