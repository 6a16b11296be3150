package net.otb.protocol;

/** Either side: a refusal or a protocol violation. See {@link ErrorCode} for the codes. */
public record ErrorMessage(String code, String detail) implements Message {

    public static final String TYPE = "error";

    public ErrorMessage {
        Checks.token(code, "code");
        Checks.optional(detail, "detail", 1_024);
    }

    public static ErrorMessage of(ErrorCode code, String detail) {
        return new ErrorMessage(code.wire(), detail);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
