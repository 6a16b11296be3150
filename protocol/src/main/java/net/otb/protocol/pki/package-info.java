/** The PKI of the fleet, made with BouncyCastle: CA, server and device certificates, CSRs, revocation list, PEM files, and the {@code pki} tool. */
package net.otb.protocol.pki;
