/** Test fixtures of the agent, reusable by other modules through the agent test-jar: a scriptable mTLS protocol server. */
package net.otb.agent.testing;
