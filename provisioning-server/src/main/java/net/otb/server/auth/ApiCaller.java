package net.otb.server.auth;

/**
 * The authenticated caller of a request: the application and the consumer key (by its id: the key itself is
 * a credential and is not written anywhere) and the role it was made for. Audit events name the first two.
 */
public record ApiCaller(String applicationKey, long consumerId, String role) {
}
