package io.chatd.bench;

/**
 * What every {@link LoadConnection} of a run shares. Everything here is confined to the one event loop, except
 * {@link #current}, which the main thread swaps by running a task on that loop.
 */
final class LoadContext {

    /** Told about each connection's progress through the set-up, and about closes. */
    interface Listener {
        /** The server answered the upgrade with 101, {@code nanos} after the TCP connect began. */
        void handshakeDone(LoadConnection c, long nanos);

        /** Welcomed, and joined to its room when it has one: ready for traffic. */
        void ready(LoadConnection c);

        /** Gave up before it was ready. */
        void failed(LoadConnection c, String reason);

        /** A ready connection closed without the bench asking: {@code code} from the server, or -1. */
        void closed(LoadConnection c, int code);
    }

    /** Where each connection goes: {@link Targets#of} its index. */
    final Targets targets;
    final Topology topology;
    final FrameWriter writer;
    final Listener listener;
    /** Scratch for the one frame being scanned; the loop handles one frame at a time. */
    final MessageScanner.Fields fields = new MessageScanner.Fields();
    /** Where deliveries and events are counted now. */
    Measurement current = Measurement.eventsOnly();
    /** Set once the bench starts closing its connections, so their closes are not reported as failures. */
    boolean closing;
    /** Default rooms the server put connections in, which they left. */
    int defaultRoomLeaves;

    LoadContext(Targets targets, Topology topology, FrameWriter writer, Listener listener) {
        this.targets = targets;
        this.topology = topology;
        this.writer = writer;
        this.listener = listener;
    }
}
