package io.chatd.core;

import io.chatd.core.store.MessageStore;
import io.chatd.core.store.Retention;
import io.chatd.core.store.StoreState;
import io.chatd.core.store.WriteBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that talks to the {@link MessageStore}, so that no event loop ever waits for a disk. Writes
 * queue up and are committed in batches (group commit): whatever arrived while the previous commit ran goes
 * into the next transaction, so a busier server makes fewer, larger commits. Reads run in queue order after
 * the writes queued before them are committed, which is what makes a resume see every message numbered
 * before it was asked for.
 *
 * <p>Callbacks run on this thread after the commit; they must be short and only hand work to event loops.
 */
final class Persister implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Persister.class);

    /** Operations waiting for the store; past this, new writes are refused rather than queued without bound. */
    static final int MAX_QUEUED = 100_000;
    /** Most operations taken into one turn (one commit, unless reads split it). */
    private static final int MAX_BATCH = 4096;
    /**
     * How long the store thread waits after the first operation of a batch for others to join it. On a busy
     * server with few cores, each wake-up and commit of the store thread takes the CPU from an event loop: with
     * 2 ms, batches form instead of one commit per message, which lowered delivery latency in the fanout
     * benchmark (docs/benchmarks.md), for 2 ms more before an ack.
     */
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    /** A read against the store, run on the store thread. */
    interface Read<T> {
        T run(MessageStore store);
    }

    private static final class Op {
        final Consumer<WriteBatch> fill;
        final Runnable committed;
        final Consumer<Throwable> failed;
        final PendingRead<?> read;
        /** For a read: whether it runs on the store thread itself, ordered with the writes queued after it. */
        final boolean betweenWrites;

        Op(Consumer<WriteBatch> fill, Runnable committed, Consumer<Throwable> failed, PendingRead<?> read,
           boolean betweenWrites) {
            this.fill = fill;
            this.committed = committed;
            this.failed = failed;
            this.read = read;
            this.betweenWrites = betweenWrites;
        }
    }

    /** A read and whom to tell its outcome. */
    private final class PendingRead<T> implements Runnable {
        final Read<T> read;
        final BiConsumer<T, Throwable> done;

        PendingRead(Read<T> read, BiConsumer<T, Throwable> done) {
            this.read = read;
            this.done = done;
        }

        @Override
        public void run() {
            T result;
            try {
                result = read.run(store);
            } catch (RuntimeException e) {
                log.warn("store read failed: {}", e.toString());
                done.accept(null, e);
                return;
            }
            done.accept(result, null);
        }

        void refuse() {
            done.accept(null, new RejectedExecutionException("too many store reads waiting"));
        }
    }

    private static final Op STOP = new Op(null, null, null, null, false);

    private final MessageStore store;
    private final BlockingQueue<Op> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final WriteBatch batch = new WriteBatch();
    private final List<Op> batchOps = new ArrayList<>();
    private final Thread thread;
    /**
     * Runs reads that need not be ordered with later writes (history, resume replays), so that a client that
     * keeps reading costs the writer nothing: the store thread is every sender's ack path. Each read is handed
     * over once the writes queued before it are committed.
     */
    private final Thread reader;
    private final BlockingQueue<PendingRead<?>> reads = new ArrayBlockingQueue<>(MAX_QUEUED);
    /** Reads whose writes are in the current batch: handed to the reader after its commit. */
    private final List<PendingRead<?>> readsAfterCommit = new ArrayList<>();
    /** Tells the reader to stop; never run. */
    private final PendingRead<Void> stopReader = new PendingRead<>(store -> null, (v, e) -> { });
    private final StoreState initialState;
    private final long pruneEveryMillis;
    /** Runs on the store thread after each prune, to forget in memory what the store forgot. */
    private volatile Consumer<MessageStore> afterPrune = store -> { };
    private long nextPrune;
    /** Set by {@link #close}: an operation offered after it would never run, so it is refused. */
    private volatile boolean stopped;
    /** Whether the last commit failed: readiness reports a store that stopped taking writes. */
    private volatile boolean failing;
    private final ChatStats stats;

    /** Opens the store on the calling thread, then starts the store thread; prunes every {@code pruneEvery}. */
    Persister(MessageStore store, Retention retention, Duration pruneEvery, String name) {
        this(store, retention, pruneEvery, name, new ChatStats());
    }

    /** Like {@link #Persister(MessageStore, Retention, Duration, String)}, timing each commit into {@code stats}. */
    Persister(MessageStore store, Retention retention, Duration pruneEvery, String name, ChatStats stats) {
        this.stats = stats;
        this.store = store;
        this.pruneEveryMillis = pruneEvery.toMillis();
        this.initialState = store.open(retention);
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        this.reader = new Thread(this::runReads, name + "-reader");
        reader.setDaemon(true);
        reader.start();
        thread.start();
    }

    StoreState initialState() {
        return initialState;
    }

    /** Operations waiting for the store thread. */
    int queued() {
        return queue.size();
    }

    /** True while the store thread runs and its last commit succeeded. */
    boolean answering() {
        return !stopped && !failing && thread.isAlive();
    }

    /** Sets what runs on the store thread after each prune, with the store (which it may read). */
    void afterPrune(Consumer<MessageStore> task) {
        this.afterPrune = task;
    }

    /**
     * Queues a write: {@code fill} adds to the batch (on the store thread), {@code committed} runs once it is
     * durable, {@code failed} if the commit failed. Returns false, running nothing, when the queue is full.
     */
    boolean write(Consumer<WriteBatch> fill, Runnable committed, Consumer<Throwable> failed) {
        return !stopped && queue.offer(new Op(fill, committed, failed, null, false));
    }

    /**
     * Runs {@code read} on the reader thread, once every write queued before it is committed (or failed), so it
     * sees them; writes queued after it may or may not be seen. {@code done} gets its result or error, on the
     * reader thread. The read may only call {@link MessageStore#roomMessages}, the one method a store serves
     * beside its writes.
     */
    <T> boolean read(Read<T> read, BiConsumer<T, Throwable> done) {
        return !stopped && queue.offer(new Op(null, null, null, new PendingRead<>(read, done), false));
    }

    /**
     * Runs {@code read} on the store thread itself, after every write queued before it is committed and before
     * any write queued after it: for a read that must not miss or double a write racing it (see {@link Privates}).
     */
    <T> boolean readBetweenWrites(Read<T> read, BiConsumer<T, Throwable> done) {
        return !stopped && queue.offer(new Op(null, null, null, new PendingRead<>(read, done), true));
    }

    private void run() {
        List<Op> ops = new ArrayList<>();
        nextPrune = System.currentTimeMillis() + pruneEveryMillis;
        boolean stopping = false;
        while (!stopping || !queue.isEmpty()) {
            try {
                Op first = queue.poll(1, TimeUnit.SECONDS);
                if (first != null) {
                    if (queue.size() < MAX_BATCH / 2) {
                        LockSupport.parkNanos(LINGER_NANOS); // let the batch grow: see LINGER_NANOS
                    }
                    ops.add(first);
                    queue.drainTo(ops, MAX_BATCH - 1);
                }
            } catch (InterruptedException e) {
                stopping = true;
            }
            for (Op op : ops) {
                if (op == STOP) {
                    stopping = true;
                } else if (op.read != null && op.betweenWrites) {
                    commit(); // the read must see every write queued before it
                    safely(op.read);
                } else if (op.read != null) {
                    readsAfterCommit.add(op.read);
                } else {
                    fill(op);
                }
            }
            ops.clear();
            commit();
            handOverReads();
            long now = System.currentTimeMillis();
            if (now >= nextPrune) {
                nextPrune = now + pruneEveryMillis;
                try {
                    store.prune(now);
                    afterPrune.accept(store);
                } catch (RuntimeException e) {
                    log.warn("store prune failed: {}", e.toString());
                }
            }
        }
        stopReader();
        try {
            store.close();
        } catch (RuntimeException e) {
            log.warn("store close failed: {}", e.toString());
        }
    }

    /** Gives the reader the reads whose writes were just committed; one it cannot take fails as overloaded. */
    private void handOverReads() {
        for (PendingRead<?> read : readsAfterCommit) {
            if (!reads.offer(read)) {
                safely(read::refuse);
            }
        }
        readsAfterCommit.clear();
    }

    private void runReads() {
        while (true) {
            PendingRead<?> read;
            try {
                read = reads.take();
            } catch (InterruptedException e) {
                return;
            }
            if (read == stopReader) {
                return;
            }
            safely(read);
        }
    }

    /** Lets the reader finish the reads handed to it, so none runs on a closed store. */
    private void stopReader() {
        try {
            reads.put(stopReader);
            reader.join(10_000);
        } catch (InterruptedException e) {
            reader.interrupt();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Adds an operation's writes to the batch. One that throws is taken out again whole and fails, so that its
     * caller hears of it (a send's claim is released and its client told) instead of waiting forever.
     */
    private void fill(Op op) {
        int rooms = batch.roomMessages.size();
        int offline = batch.offlineMessages.size();
        int delivered = batch.delivered.size();
        int sent = batch.sentIds.size();
        try {
            op.fill.accept(batch);
            batchOps.add(op);
        } catch (RuntimeException e) {
            log.warn("could not add a write to the batch", e);
            truncate(batch.roomMessages, rooms);
            truncate(batch.offlineMessages, offline);
            truncate(batch.delivered, delivered);
            truncate(batch.sentIds, sent);
            if (op.failed != null) {
                safely(() -> op.failed.accept(e));
            }
        }
    }

    private static void truncate(List<?> list, int size) {
        list.subList(size, list.size()).clear();
    }

    private void commit() {
        if (batchOps.isEmpty()) {
            return;
        }
        Throwable failure = null;
        long start = System.nanoTime();
        try {
            store.write(batch);
        } catch (RuntimeException e) {
            failure = e;
            log.warn("store write of {} operations failed: {}", batchOps.size(), e.toString());
        }
        failing = failure != null;
        stats.storeCommitted(System.nanoTime() - start);
        batch.clear();
        for (Op op : batchOps) {
            if (failure == null) {
                if (op.committed != null) {
                    safely(op.committed);
                }
            } else if (op.failed != null) {
                Throwable cause = failure;
                safely(() -> op.failed.accept(cause));
            }
        }
        batchOps.clear();
    }

    private static void safely(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            log.warn("store callback failed", e);
        }
    }

    /** Commits everything queued, closes the store and stops the thread; waits up to {@code millis}. */
    void close(long millis) {
        stopped = true; // from now on writes and reads are refused: the thread would never run them
        try {
            if (!queue.offer(STOP, millis, TimeUnit.MILLISECONDS)) {
                thread.interrupt();
            }
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(10_000);
    }
}
