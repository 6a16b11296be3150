/** The agent's TLS: client contexts made cheaply from a shared trust manager, the box's credentials, and checks of a renewed certificate. */
package net.otb.agent.tls;
