/** The HTTP side: a Netty HTTP/1.1 server, a small router, problem+json errors, idempotent POSTs, and the admin and operations routes. */
package net.otb.server.api;
