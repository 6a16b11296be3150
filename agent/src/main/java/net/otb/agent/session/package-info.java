/** The Netty side of the agent: pipeline, session handler (hello, welcome, heartbeats, message dispatch) and reconnect backoff. */
package net.otb.agent.session;
