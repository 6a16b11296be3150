/** Who may call the HTTP API: OVH's signed application and consumer keys, their access rules, the roles, and the credential store. */
package net.otb.server.auth;
