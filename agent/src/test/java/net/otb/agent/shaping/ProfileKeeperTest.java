package net.otb.agent.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.StateStore;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.ProfilePush;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The keeper's rules without a socket: what a rollback restores, and a state that cannot be saved. */
class ProfileKeeperTest {

    final EventLoop loop = new DefaultEventLoop();
    final MemoryBackend backend = new MemoryBackend();
    final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "otb-svc-9", "starter.v1", 1_000 * generation, 500 * generation,
                "192.0.2.9");
    }

    ProfileKeeper keeper(StateStore store) {
        return new ProfileKeeper("OTB3-000009", backend, store, loop, Clock.systemUTC(), Duration.ofHours(1),
                Duration.ofSeconds(30),
                new ProfileKeeper.Events() {
                    @Override
                    public void applied(BandwidthProfile profile) {
                        events.add("applied:" + profile.generation());
                    }

                    @Override
                    public void rejected(long generation, String detail) {
                        events.add("rejected:" + generation);
                    }

                    @Override
                    public void rolledBack(long generation) {
                        events.add("rolledBack:" + generation);
                    }

                    @Override
                    public void confirmed(long generation) {
                        events.add("confirmed:" + generation);
                    }
                });
    }

    <T> T on(java.util.concurrent.Callable<java.util.concurrent.CompletionStage<T>> call) throws Exception {
        return loop.submit(call).get(5, TimeUnit.SECONDS).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aRollbackRestoresTheLastConfirmedProfileNotAnUnconfirmedOneInBetween() throws Exception {
        ProfileKeeper keeper = keeper(StateStore.inMemory());
        on(keeper::start);
        on(() -> keeper.push(ProfilePush.of(profile(1), 60)));
        on(() -> keeper.confirm(1));
        on(() -> keeper.push(ProfilePush.of(profile(2), 60)));
        // 3 arrives while 2 still waits for its confirm; its rollback must not land on unconfirmed 2
        on(() -> keeper.push(ProfilePush.of(profile(3), 1)));
        assertThat(keeper.state().previous()).isEqualTo(profile(1));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("rolledBack:3"));
        assertThat(backend.inForce()).isEqualTo(profile(1));
        assertThat(keeper.state().applied()).isEqualTo(profile(1));
        assertThat(keeper.unreportedRollback()).get().extracting(Applied::generation, Applied::status)
                .containsExactly(3L, Applied.Status.ROLLED_BACK);
    }

    @Test
    void aConfirmOfAnotherGenerationSettlesNothing() throws Exception {
        ProfileKeeper keeper = keeper(StateStore.inMemory());
        on(keeper::start);
        on(() -> keeper.push(ProfilePush.of(profile(4), 60)));
        assertThat(on(() -> keeper.confirm(3))).isFalse();
        assertThat(keeper.state().pending().generation()).isEqualTo(4);
        assertThat(on(() -> keeper.confirm(4))).isTrue();
        assertThat(keeper.state().pending()).isNull();
        assertThat(events).containsExactly("applied:4", "confirmed:4");
    }

    @Test
    void whenTheStateCannotBeSavedThePushIsRejectedAndTheShapingRestored() throws Exception {
        StateStore failing = new StateStore() {
            AgentState saved = AgentState.EMPTY;
            int saves;

            @Override
            public AgentState load() {
                return saved;
            }

            @Override
            public void save(AgentState state) throws IOException {
                if (++saves > 1) {
                    throw new IOException("No space left on device");
                }
                saved = state;
            }
        };
        ProfileKeeper keeper = keeper(failing);
        on(keeper::start);
        on(() -> keeper.push(ProfilePush.of(profile(1), 60)));
        Applied answer = on(() -> keeper.push(ProfilePush.of(profile(2), 60)));
        assertThat(answer.status()).isEqualTo(Applied.Status.REJECTED);
        assertThat(answer.detail()).contains("No space left on device");
        assertThat(backend.inForce()).isEqualTo(profile(1));
        assertThat(keeper.state().applied()).isEqualTo(profile(1));
        assertThat(backend.operations()).containsExactly("apply:1", "apply:2", "apply:1");
    }
}
