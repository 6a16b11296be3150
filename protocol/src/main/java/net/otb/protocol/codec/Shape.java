package net.otb.protocol.codec;

import java.util.List;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Renew;
import net.otb.protocol.RetryAfter;
import net.otb.protocol.Welcome;

/**
 * How one record looks on the wire: its fields in declaration order, the JSON kind of each, and the two
 * conversions between the record and an array of its component values. Reading and writing both go through
 * these tables, so a field's wire name is written down once; plain code instead of reflection keeps the agent
 * from loading a data-binding library.
 */
final class Shape {

    /** A JSON integer within {@code long}; null or missing is refused (a primitive component). */
    static final byte LONG = 1;
    /** A JSON integer within {@code int}; null or missing is refused (a primitive component). */
    static final byte INT = 2;
    /** A JSON string, or null. */
    static final byte STRING = 3;
    /** An array of integers within {@code int} (elements may be null: the record refuses them), or null. */
    static final byte INTS = 4;
    /** An array of strings (elements may be null: the record refuses them), or null. */
    static final byte STRINGS = 5;
    /** A nested {@link BandwidthProfile} object, or null. */
    static final byte PROFILE = 6;
    /** An {@link Applied.Status} by its wire name, or null. */
    static final byte STATUS = 7;

    static final Shape BANDWIDTH_PROFILE = new Shape(BandwidthProfile.class, null,
            new String[] {"generation", "serviceName", "offer", "downKbps", "upKbps", "serviceIp"},
            new byte[] {LONG, STRING, STRING, LONG, LONG, STRING});
    static final Shape HELLO = new Shape(Hello.class, Hello.TYPE,
            new String[] {"protocols", "deviceId", "model", "firmware", "agentVersion", "applied", "capabilities"},
            new byte[] {INTS, STRING, STRING, STRING, STRING, PROFILE, STRINGS});
    static final Shape WELCOME = new Shape(Welcome.class, Welcome.TYPE,
            new String[] {"protocol", "sessionId", "heartbeatSeconds"},
            new byte[] {INT, STRING, INT});
    static final Shape PROFILE_PUSH = new Shape(ProfilePush.class, ProfilePush.TYPE,
            new String[] {"generation", "serviceName", "offer", "downKbps", "upKbps", "serviceIp", "confirmSeconds"},
            new byte[] {LONG, STRING, STRING, LONG, LONG, STRING, INT});
    static final Shape APPLIED = new Shape(Applied.class, Applied.TYPE,
            new String[] {"generation", "status", "detail"},
            new byte[] {LONG, STATUS, STRING});
    static final Shape CONFIRM = new Shape(Confirm.class, Confirm.TYPE,
            new String[] {"generation"}, new byte[] {LONG});
    static final Shape PING = new Shape(Ping.class, Ping.TYPE, new String[] {"seq"}, new byte[] {LONG});
    static final Shape PONG = new Shape(Pong.class, Pong.TYPE, new String[] {"seq"}, new byte[] {LONG});
    static final Shape DECOMMISSION = new Shape(Decommission.class, Decommission.TYPE,
            new String[] {"reason"}, new byte[] {STRING});
    static final Shape RENEW = new Shape(Renew.class, Renew.TYPE, new String[] {"csr"}, new byte[] {STRING});
    static final Shape CERTIFICATE_CHAIN = new Shape(CertificateChain.class, CertificateChain.TYPE,
            new String[] {"chain"}, new byte[] {STRING});
    static final Shape RETRY_AFTER = new Shape(RetryAfter.class, RetryAfter.TYPE,
            new String[] {"seconds"}, new byte[] {INT});
    static final Shape ERROR_MESSAGE = new Shape(ErrorMessage.class, ErrorMessage.TYPE,
            new String[] {"code", "detail"}, new byte[] {STRING, STRING});

    /** The record's simple name, for "invalid Hello: ..." details. */
    final String name;
    /** The {@code type} on the wire; null for the nested profile. */
    final String type;
    final String[] fields;
    final byte[] kinds;

    private Shape(Class<?> record, String type, String[] fields, byte[] kinds) {
        this.name = record.getSimpleName();
        this.type = type;
        this.fields = fields;
        this.kinds = kinds;
    }

    /** The shape of a message type, or null when this build does not know the type. */
    static Shape of(String type) {
        switch (type) {
            case Hello.TYPE: return HELLO;
            case Welcome.TYPE: return WELCOME;
            case ProfilePush.TYPE: return PROFILE_PUSH;
            case Applied.TYPE: return APPLIED;
            case Confirm.TYPE: return CONFIRM;
            case Ping.TYPE: return PING;
            case Pong.TYPE: return PONG;
            case Decommission.TYPE: return DECOMMISSION;
            case Renew.TYPE: return RENEW;
            case CertificateChain.TYPE: return CERTIFICATE_CHAIN;
            case RetryAfter.TYPE: return RETRY_AFTER;
            case ErrorMessage.TYPE: return ERROR_MESSAGE;
            default: return null;
        }
    }

    /** The index of a field, or -1 for a field this shape does not have (ignored on read). */
    int indexOf(String field) {
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].equals(field)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Builds the record from values read by kind ({@code Long}, {@code Integer}, {@code String}, lists, a
     * profile, a status); primitives are present, the rest may be null.
     *
     * @throws IllegalArgumentException when the record's constructor refuses the values
     */
    @SuppressWarnings("unchecked")
    Object create(Object[] v) {
        if (this == BANDWIDTH_PROFILE) {
            return new BandwidthProfile((Long) v[0], (String) v[1], (String) v[2], (Long) v[3], (Long) v[4],
                    (String) v[5]);
        } else if (this == HELLO) {
            return new Hello((List<Integer>) v[0], (String) v[1], (String) v[2], (String) v[3], (String) v[4],
                    (BandwidthProfile) v[5], (List<String>) v[6]);
        } else if (this == WELCOME) {
            return new Welcome((Integer) v[0], (String) v[1], (Integer) v[2]);
        } else if (this == PROFILE_PUSH) {
            return new ProfilePush((Long) v[0], (String) v[1], (String) v[2], (Long) v[3], (Long) v[4],
                    (String) v[5], (Integer) v[6]);
        } else if (this == APPLIED) {
            return new Applied((Long) v[0], (Applied.Status) v[1], (String) v[2]);
        } else if (this == CONFIRM) {
            return new Confirm((Long) v[0]);
        } else if (this == PING) {
            return new Ping((Long) v[0]);
        } else if (this == PONG) {
            return new Pong((Long) v[0]);
        } else if (this == DECOMMISSION) {
            return new Decommission((String) v[0]);
        } else if (this == RENEW) {
            return new Renew((String) v[0]);
        } else if (this == CERTIFICATE_CHAIN) {
            return new CertificateChain((String) v[0]);
        } else if (this == RETRY_AFTER) {
            return new RetryAfter((Integer) v[0]);
        } else if (this == ERROR_MESSAGE) {
            return new ErrorMessage((String) v[0], (String) v[1]);
        }
        throw new IllegalStateException("no constructor for " + name);
    }

    /** The record's component values in field order: the inverse of {@link #create}. */
    static Object[] components(Object record) {
        if (record instanceof BandwidthProfile p) {
            return new Object[] {p.generation(), p.serviceName(), p.offer(), p.downKbps(), p.upKbps(),
                p.serviceIp()};
        } else if (record instanceof Hello h) {
            return new Object[] {h.protocols(), h.deviceId(), h.model(), h.firmware(), h.agentVersion(),
                h.applied(), h.capabilities()};
        } else if (record instanceof Welcome w) {
            return new Object[] {w.protocol(), w.sessionId(), w.heartbeatSeconds()};
        } else if (record instanceof ProfilePush p) {
            return new Object[] {p.generation(), p.serviceName(), p.offer(), p.downKbps(), p.upKbps(),
                p.serviceIp(), p.confirmSeconds()};
        } else if (record instanceof Applied a) {
            return new Object[] {a.generation(), a.status(), a.detail()};
        } else if (record instanceof Confirm c) {
            return new Object[] {c.generation()};
        } else if (record instanceof Ping p) {
            return new Object[] {p.seq()};
        } else if (record instanceof Pong p) {
            return new Object[] {p.seq()};
        } else if (record instanceof Decommission d) {
            return new Object[] {d.reason()};
        } else if (record instanceof Renew r) {
            return new Object[] {r.csr()};
        } else if (record instanceof CertificateChain c) {
            return new Object[] {c.chain()};
        } else if (record instanceof RetryAfter r) {
            return new Object[] {r.seconds()};
        } else if (record instanceof ErrorMessage e) {
            return new Object[] {e.code(), e.detail()};
        }
        throw new IllegalStateException("no components for " + record.getClass().getName());
    }

    /** The shape of a message this build can send. */
    static Shape forMessage(Message message) {
        Shape shape = of(message.type());
        if (shape == null) {
            throw new IllegalStateException("no shape for message type " + message.type());
        }
        return shape;
    }
}
