package io.chatd.core;

import io.chatd.core.store.MessageStore;
import io.chatd.core.store.Retention;
import io.chatd.core.store.StoreState;
import io.chatd.core.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that talk to the {@link MessageStore}, so that no event loop ever waits for a disk. Writes queue
 * up on the store thread and are committed in batches (group commit): whatever arrived while the previous
 * commit ran goes into the next transaction, so a busier server makes fewer, larger commits.
 *
 * <p>Room reads ({@link #readAside}: history and resume replays) run on a second thread, the reader, so that a
 * client looping over history never holds up a commit, and with it every sender's ack. A read there still
 * waits until every write queued before it is committed (it does not force a commit, it waits for the next
 * one), which is what makes a resume see every message numbered before it was asked for and a history
 * request see every message its client was acked. {@link #read} runs on the store thread itself, in order
 * with the commits, for a read whose result must be ordered against their callbacks (a connection's inbox).
 *
 * <p>Callbacks run on these threads; they must be short and only hand work to event loops.
 */
final class Persister implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Persister.class);

    /** Operations waiting for the store; past this, new writes are refused rather than queued without bound. */
    static final int MAX_QUEUED = 100_000;
    /** Most operations taken into one turn (one commit, unless reads split it). */
    private static final int MAX_BATCH = 4096;
    private static final long PRUNE_EVERY_MILLIS = 60_000;
    /**
     * How long the store thread waits after the first operation of a batch for others to join it. On a busy
     * server with few cores, each wake-up and commit of the store thread takes the CPU from an event loop: with
     * 2 ms, batches form instead of one commit per message, which lowered delivery latency in the fanout
     * benchmark (docs/benchmarks.md), for 2 ms more before an ack.
     */
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    /** A read against the store, run on the store thread or the reader thread. */
    interface Read<T> {
        T run(MessageStore store);
    }

    private static final class Op {
        final Consumer<WriteBatch> fill;
        final Runnable committed;
        final Consumer<Throwable> failed;
        final Runnable read;
        /** For an operation on the store queue, its place in it; for a read aside, the last write it must see. */
        long ticket;

        Op(Consumer<WriteBatch> fill, Runnable committed, Consumer<Throwable> failed, Runnable read) {
            this.fill = fill;
            this.committed = committed;
            this.failed = failed;
            this.read = read;
        }
    }

    private static final Op STOP = new Op(null, null, null, null);

    private final MessageStore store;
    private final BlockingQueue<Op> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final BlockingQueue<Op> asideQueue = new ArrayBlockingQueue<>(MAX_QUEUED);
    /**
     * Guards {@link #lastTicket} together with the offer to {@link #queue}, so that tickets rise in queue order
     * and a read aside taken after a write's offer returned has a ticket at least that write's.
     */
    private final Object enqueueLock = new Object();
    private long lastTicket;
    /** The ticket of the last store-queue operation that is done (committed, failed or read); rises only. */
    private long doneTicket;
    /** Guards {@link #doneTicket}; the reader waits on it for the commit its read must see. */
    private final Object doneLock = new Object();
    private final WriteBatch batch = new WriteBatch();
    private final List<Op> batchOps = new ArrayList<>();
    private final Thread thread;
    private final Thread reader;
    private final StoreState initialState;
    private long nextPrune;
    /** Set by {@link #close}: an operation offered after it would never run, so it is refused. */
    private volatile boolean stopped;

    /** Opens the store on the calling thread, then starts the store and reader threads. */
    Persister(MessageStore store, Retention retention, String name) {
        this.store = store;
        this.initialState = store.open(retention);
        this.reader = new Thread(this::runReader, name + "-reader");
        reader.setDaemon(true);
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        reader.start();
        thread.start();
    }

    StoreState initialState() {
        return initialState;
    }

    /**
     * Queues a write: {@code fill} adds to the batch (on the store thread), {@code committed} runs once it is
     * durable, {@code failed} if the commit failed. Returns false, running nothing, when the queue is full.
     */
    boolean write(Consumer<WriteBatch> fill, Runnable committed, Consumer<Throwable> failed) {
        return enqueue(new Op(fill, committed, failed, null));
    }

    /**
     * Runs {@code read} on the store thread after every write queued before it is committed, before any queued
     * after it; {@code done} gets its result or error there. Every such read delays the commits behind it: use
     * it only when the result must be ordered against commit callbacks, else {@link #readAside}.
     */
    <T> boolean read(Read<T> read, BiConsumer<T, Throwable> done) {
        return enqueue(new Op(null, null, null, reading(read, done)));
    }

    /**
     * Runs {@code read} on the reader thread once every write queued before it is committed, without holding up
     * later commits; {@code done} gets its result or error there. The store must allow {@code read}'s calls
     * concurrently with the store thread's (see {@link MessageStore}).
     */
    <T> boolean readAside(Read<T> read, BiConsumer<T, Throwable> done) {
        if (stopped) {
            return false;
        }
        Op op = new Op(null, null, null, reading(read, done));
        synchronized (enqueueLock) {
            op.ticket = lastTicket;
        }
        return asideQueue.offer(op);
    }

    private boolean enqueue(Op op) {
        if (stopped) {
            return false;
        }
        synchronized (enqueueLock) {
            op.ticket = lastTicket + 1;
            if (!queue.offer(op)) {
                return false;
            }
            lastTicket = op.ticket;
            return true;
        }
    }

    private <T> Runnable reading(Read<T> read, BiConsumer<T, Throwable> done) {
        return () -> {
            T result;
            try {
                result = read.run(store);
            } catch (RuntimeException e) {
                log.warn("store read failed: {}", e.toString());
                done.accept(null, e);
                return;
            }
            done.accept(result, null);
        };
    }

    /** On the store thread: everything up to {@code ticket} is done; wakes a read waiting for it. */
    private void done(long ticket) {
        synchronized (doneLock) {
            if (ticket > doneTicket) {
                doneTicket = ticket;
                doneLock.notifyAll();
            }
        }
    }

    private void runReader() {
        boolean stopping = false;
        while (!stopping || !asideQueue.isEmpty()) {
            Op op;
            try {
                op = asideQueue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                stopping = true;
                continue;
            }
            if (op == STOP) {
                stopping = true;
            } else if (op != null) {
                awaitDone(op.ticket);
                safely(op.read);
            }
        }
    }

    /** Waits until every store-queue operation up to {@code ticket} is done (or the store thread ended). */
    private void awaitDone(long ticket) {
        synchronized (doneLock) {
            boolean interrupted = false;
            while (doneTicket < ticket) {
                try {
                    doneLock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // closing: the store thread still finishes its queue and wakes us
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        List<Op> ops = new ArrayList<>();
        nextPrune = System.currentTimeMillis() + PRUNE_EVERY_MILLIS;
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
            long last = 0;
            for (Op op : ops) {
                if (op == STOP) {
                    stopping = true;
                    continue;
                }
                if (op.read != null) {
                    commit(); // the read must see every write queued before it
                    done(last);
                    safely(op.read);
                } else {
                    fill(op);
                }
                last = op.ticket;
            }
            ops.clear();
            commit();
            done(last);
            long now = System.currentTimeMillis();
            if (now >= nextPrune) {
                nextPrune = now + PRUNE_EVERY_MILLIS;
                try {
                    store.prune(now);
                } catch (RuntimeException e) {
                    log.warn("store prune failed: {}", e.toString());
                }
            }
        }
        done(Long.MAX_VALUE); // nothing more will be committed: reads still waiting run against what was
        try {
            reader.join(); // the reader has its STOP too: reads queued before close run before the store closes
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            store.close();
        } catch (RuntimeException e) {
            log.warn("store close failed: {}", e.toString());
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
        try {
            store.write(batch);
        } catch (RuntimeException e) {
            failure = e;
            log.warn("store write of {} operations failed: {}", batchOps.size(), e.toString());
        }
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

    /**
     * Commits everything queued, runs the reads queued, closes the store and stops the threads; waits up to
     * {@code millis}.
     */
    void close(long millis) {
        stopped = true; // from now on writes and reads are refused: the threads would never run them
        try {
            if (!asideQueue.offer(STOP, millis, TimeUnit.MILLISECONDS)) {
                reader.interrupt();
            }
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
