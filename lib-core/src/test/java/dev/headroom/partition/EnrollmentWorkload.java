package dev.headroom.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The enrollment-events incident as a workload, shared by the partitioner's simulations here and
 * the real-broker replays in lib-kafka (through the test-jar): 60% of events from three large
 * employers that all chose plan PPO-GOLD (8,000 members each), 40% from 400 smaller tenants with
 * Zipf(1.1) sizes on 25 other plans; 70% of a tenant's events come from its HR system's sync
 * account (one member id, event type SYNC, order not needed), the rest from its members.
 */
public final class EnrollmentWorkload {

  private EnrollmentWorkload() {}

  /** One enrollment event; {@code seq} numbers the events of one (member, type) from 0. */
  public record Event(int id, String employer, String plan, String member, String type,
      boolean ordered, int seq) {

    /** The event as the JSON value a producer sends. */
    public String json() {
      return "{\"event_id\":" + id + ",\"employer\":\"" + employer + "\",\"plan_id\":\"" + plan
          + "\",\"member\":{\"tier\":\"gold\"},\"member_id\":\"" + member
          + "\",\"event_type\":\"" + type + "\",\"seq\":" + seq + "}";
    }
  }

  /** The events, deterministic for a seed. */
  public static List<Event> events(int count, long seed) {
    Random random = new Random(seed);
    int tenants = 400;
    double[] cdf = new double[tenants];
    double sum = 0;
    for (int i = 0; i < tenants; i++) {
      sum += 1.0 / Math.pow(i + 1, 1.1);
      cdf[i] = sum;
    }
    String[] types = {"ENROLL", "DEPENDENT_ADD", "PLAN_ELECT", "CONFIRM"};
    java.util.Map<String, Integer> seqs = new java.util.HashMap<>();
    List<Event> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String employer;
      String plan;
      String member;
      String type;
      boolean ordered = true;
      if (random.nextDouble() < 0.6) {
        int e = random.nextInt(3);
        employer = "big-" + e;
        plan = "PPO-GOLD";
        member = "big-" + e + "-m" + random.nextInt(8_000);
        type = types[random.nextInt(4)];
      } else {
        double u = random.nextDouble() * sum;
        int t = 0;
        while (cdf[t] < u) {
          t++;
        }
        employer = "t" + t;
        plan = "PLAN-" + (t % 25);
        if (random.nextDouble() < 0.7) {
          member = "t" + t + "-hr-sync";
          type = "SYNC";
          ordered = false;
        } else {
          member = "t" + t + "-m" + random.nextInt(500);
          type = types[random.nextInt(4)];
        }
      }
      int seq = seqs.merge(member + "/" + type, 1, Integer::sum) - 1;
      events.add(new Event(i, employer, plan, member, type, ordered, seq));
    }
    return events;
  }

  /** Largest over mean of counts. */
  public static double maxOverMean(long[] counts) {
    long max = 0;
    long sum = 0;
    for (long c : counts) {
      max = Math.max(max, c);
      sum += c;
    }
    return sum == 0 ? 1.0 : max / ((double) sum / counts.length);
  }
}
