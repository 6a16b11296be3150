/** The provisioning server on PostgreSQL (the database {@code .ci/run} starts), next to the H2 tests of every other package. */
package net.otb.server.store.postgres;
