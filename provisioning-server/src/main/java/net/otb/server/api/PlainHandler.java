package net.otb.server.api;

/** A route handler that needs no transaction ({@code /metrics}, {@code /healthz}, static documents). */
@FunctionalInterface
public interface PlainHandler {

    ApiResponse handle(ApiRequest request);
}
