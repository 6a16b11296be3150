/** Several server instances on one PostgreSQL: instance leases, and change announcements over LISTEN/NOTIFY. */
package net.otb.server.cluster;
