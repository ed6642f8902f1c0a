package dev.headroom.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Many threads borrow through a small budget and end each connection by a random path: close,
 * repeated close, abort, abort then close, or two threads racing to close and abort the same
 * connection. Whatever the path, each permit is released exactly once and the pool's connection
 * is closed exactly once.
 */
class ClosePathsHammerTest {

  private static final int WORKERS = PermitsHammerTest.THREADS;
  private static final int ROUNDS = 5_000;
  private static final Executor DIRECT = Runnable::run;

  @Test
  void everyPathReleasesExactlyOnce() throws Exception {
    FakePool pool = new FakePool();
    BudgetedDataSource ds = BudgetedDataSource.builder("hammer", pool).maxPoolSize(4)
        .acquireTimeout(Duration.ofSeconds(30)).build();
    BlockingQueue<Connection> raced = new ArrayBlockingQueue<>(64);
    AtomicLong abortAttempts = new AtomicLong();
    CountDownLatch workersDone = new CountDownLatch(WORKERS);
    Thread[] racers = new Thread[2];
    for (int r = 0; r < racers.length; r++) {
      int racer = r;
      racers[r] = new Thread(() -> {
        try {
          while (workersDone.getCount() > 0 || !raced.isEmpty()) {
            Connection c = raced.poll(10, TimeUnit.MILLISECONDS);
            if (c == null) {
              continue;
            }
            if (racer == 0) {
              c.close();
            } else {
              abortAttempts.incrementAndGet();
              c.abort(DIRECT);
            }
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      racers[r].start();
    }
    PermitsHammerTest.run(() -> {
      try {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < ROUNDS; i++) {
          Connection c = ds.getConnection();
          switch (random.nextInt(6)) {
            case 0 -> c.close();
            case 1 -> {
              c.close();
              c.close();
            }
            case 2 -> {
              abortAttempts.incrementAndGet();
              c.abort(DIRECT);
            }
            case 3 -> {
              abortAttempts.incrementAndGet();
              c.abort(DIRECT);
              c.close();
            }
            case 4 -> {
              c.close();
              abortAttempts.incrementAndGet();
              c.abort(DIRECT);
            }
            default -> {
              // Handed to both racers at once: one closes, the other aborts.
              raced.put(c);
              raced.put(c);
            }
          }
        }
      } finally {
        workersDone.countDown();
      }
    });
    for (Thread racer : racers) {
      racer.join(TimeUnit.SECONDS.toMillis(30));
      assertTrue(!racer.isAlive());
    }
    long total = (long) WORKERS * ROUNDS;
    WrapperInvariants.check(ds, pool, total, total, 4);
    assertTrue(pool.aborted.get() > 0 && pool.aborted.get() <= abortAttempts.get());
    PermitsInvariants.checkQuiescent(permitsOf(ds), 4, 0);
  }

  private static Permits permitsOf(BudgetedDataSource ds) throws ReflectiveOperationException {
    java.lang.reflect.Field f = BudgetedDataSource.class.getDeclaredField("permits");
    f.setAccessible(true);
    return (Permits) f.get(ds);
  }
}
