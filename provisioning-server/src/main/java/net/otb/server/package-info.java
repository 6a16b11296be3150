/** The provisioning server's entry points: configuration, the embeddable {@code ProvisioningServer} and the {@code ServerMain} command. */
package net.otb.server;
