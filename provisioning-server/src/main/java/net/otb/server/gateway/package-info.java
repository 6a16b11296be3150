/** The agent gateway: the Netty mTLS server boxes connect to, its pipeline, session registry and connection limits. */
package net.otb.server.gateway;
