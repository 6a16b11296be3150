/** The offer change: which offers a service may move to, the quote, the order's validation and the migration workflow. */
package net.otb.server.migration;
