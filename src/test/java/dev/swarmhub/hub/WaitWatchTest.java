package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * A waiting request's watch withdraws only the read interest it registered and that has not
 * fired: a read interest that is Jetty's own (its connection's read callback) is never failed
 * by the watch, since failing it fails the connection and the answer is lost.
 */
class WaitWatchTest {

    private final Thread handler = Thread.ofVirtual().unstarted(() -> { }); // interrupting it is harmless

    @Test
    void aWatchStartedWhileJettyReadsTheConnectionLeavesJettysInterestAlone() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        AtomicReference<Throwable> jettyFailed = new AtomicReference<>();
        endPoint.fillInterested(Callback.from(() -> { }, jettyFailed::set));

        WaitingRequests.Watch watch = new WaitingRequests().new Watch(handler, endPoint);
        watch.start();
        watch.close();

        assertThat(jettyFailed.get()).as("Jetty's own read callback failed by the watch").isNull();
        assertThat(endPoint.isFillInterested()).as("Jetty still reads its connection").isTrue();
    }

    @Test
    void aWatchWhoseInterestFiredLeavesTheInterestJettyRegisteredSinceAlone() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        WaitingRequests.Watch watch = new WaitingRequests().new Watch(handler, endPoint);
        watch.start();
        assertThat(endPoint.isFillInterested()).as("the watch's own interest").isTrue();
        endPoint.getFillInterest().fillable(); // the selector reports the connection readable: the watch's interest fires
        AtomicReference<Throwable> jettyFailed = new AtomicReference<>();
        endPoint.fillInterested(Callback.from(() -> { }, jettyFailed::set));

        watch.close();

        assertThat(jettyFailed.get()).as("Jetty's own read callback failed by the watch").isNull();
        assertThat(endPoint.isFillInterested()).isTrue();
    }

    @Test
    void aWatchWithdrawsItsOwnPendingInterestWhenItEnds() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        WaitingRequests.Watch watch = new WaitingRequests().new Watch(handler, endPoint);
        watch.start();
        watch.close();
        assertThat(endPoint.isFillInterested()).as("nothing pending when the answer completes").isFalse();
    }
}
