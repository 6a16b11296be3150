/** Test fixtures of the agent, reusable by other modules through the agent test-jar: a scriptable mTLS protocol server, and a class loader without jackson-databind. */
package net.otb.agent.testing;
