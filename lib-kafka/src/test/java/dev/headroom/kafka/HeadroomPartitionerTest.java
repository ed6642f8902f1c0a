package dev.headroom.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.headroom.partition.CompositeKey;
import dev.headroom.partition.HashMode;
import dev.headroom.partition.KeyHasher;
import dev.headroom.partition.KeyPartitioner;
import dev.headroom.partition.PartitionInvariants;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

class HeadroomPartitionerTest {

  static Cluster cluster(String topic, int partitions) {
    Node node = new Node(0, "127.0.0.1", 9092);
    List<PartitionInfo> infos = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      infos.add(new PartitionInfo(topic, p, node, new Node[] {node}, new Node[] {node}));
    }
    return new Cluster("test", List.of(node), infos, Set.of(), Set.of());
  }

  static HeadroomPartitioner configured(Map<String, Object> extra) {
    Map<String, Object> configs = new HashMap<>(extra);
    configs.putIfAbsent("headroom.partitioner.name", "unit-" + System.nanoTime());
    HeadroomPartitioner partitioner = new HeadroomPartitioner();
    partitioner.configure(configs);
    return partitioner;
  }

  @Test
  void everyGoldenVectorIsKafkasOwnMurmur2AndPartition() {
    for (PartitionInvariants.Golden g : PartitionInvariants.golden()) {
      assertEquals(g.murmur2(), Utils.murmur2(g.bytes()), g.fields());
      assertEquals(g.partitionOf12(), BuiltInPartitioner.partitionForKey(g.bytes(), 12),
          g.fields());
      assertEquals(g.partitionOf7(), BuiltInPartitioner.partitionForKey(g.bytes(), 7), g.fields());
      assertEquals(g.murmur2(), PartitionInvariants.referenceMurmur2(g.bytes()), g.fields());
    }
  }

  @Test
  void compatibleModeGivesKafkasPartitionForTheSerializedKey() {
    Cluster cluster = cluster("t", 12);
    HeadroomPartitioner partitioner = configured(Map.of());
    CompositeKeySerializer serializer = new CompositeKeySerializer();
    for (int i = 0; i < 2_000; i++) {
      CompositeKey key = CompositeKey.of("member-" + i, i % 3 == 0 ? "ENROLL" : "Zoë-" + i, i);
      byte[] bytes = serializer.serialize("t", key);
      assertEquals(BuiltInPartitioner.partitionForKey(bytes, 12),
          partitioner.partition("t", key, bytes, "v", null, cluster), key.toString());
    }
  }

  @Test
  void aSecondCallForTheSameRecordGivesTheSamePartitionAndCountsOnce() {
    Cluster cluster = cluster("t", 4);
    HeadroomPartitioner partitioner = configured(Map.of(
        "headroom.partitioner.spread.enabled", "true",
        "headroom.partitioner.hotkey.sample.every", "1",
        "headroom.partitioner.hotkey.threshold", "0.5"));
    CompositeKey hot = CompositeKey.unordered("bulk", "SYNC");
    byte[] bytes = hot.encode();
    for (int i = 0; i < 200; i++) { // make the key hot, so that its partition depends on load
      byte[] value = new byte[] {(byte) i};
      int first = partitioner.partition("t", hot, bytes, value, value, cluster);
      int second = partitioner.partition("t", hot, bytes, value, value, cluster);
      assertEquals(first, second);
    }
    KeyPartitioner state = partitioner.topic("t").orElseThrow();
    assertEquals(1, state.hotKeyCount());
    assertTrue(state.spreadCount() > 0);
    PartitionInvariants.assertCountsConsistent(state, 200);
  }

  @Test
  void aRecordWithoutACompositeKeyFailsInsteadOfGoingToPartitionZero() {
    HeadroomPartitioner partitioner = configured(Map.of());
    Cluster cluster = cluster("t", 3);
    MissingKeyFieldException e = assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", "plain-string", new byte[] {1}, "v", null, cluster));
    assertEquals("headroom partitioner: the record for topic 't' needs a "
        + "dev.headroom.partition.CompositeKey key with headroom.partitioner.key.source=key (was "
        + "java.lang.String); it was not sent", e.getMessage());
    assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, "v", null, cluster));
  }

  @Test
  void aCompositeKeyMustHaveTheDeclaredNumberOfFields() {
    HeadroomPartitioner partitioner = configured(Map.of(
        "headroom.partitioner.key.fields", "member_id, event_type"));
    Cluster cluster = cluster("t", 12);
    CompositeKey ok = CompositeKey.of("m-7", "ENROLL");
    assertEquals(BuiltInPartitioner.partitionForKey(ok.encode(), 12),
        partitioner.partition("t", ok, ok.encode(), "v", null, cluster));

    CompositeKey tooFew = CompositeKey.of("m-7");
    MissingKeyFieldException e = assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", tooFew, tooFew.encode(), "v", null, cluster));
    assertEquals("headroom partitioner: the record for topic 't' has no key field 'event_type' "
        + "(key fields [member_id, event_type]); it was not sent", e.getMessage());
    assertEquals("event_type", e.field());

    CompositeKey tooMany = CompositeKey.of("m-7", "ENROLL", "PPO");
    assertEquals("headroom partitioner: the record for topic 't' has a key of 3 fields, but "
        + "headroom.partitioner.key.fields declares 2 [member_id, event_type]; it was not sent",
        assertThrows(MissingKeyFieldException.class,
            () -> partitioner.partition("t", tooMany, tooMany.encode(), "v", null, cluster))
            .getMessage());
  }

  @Test
  void anExtractorReadsTheNamedFieldsAndAMissingOneIsNamed() {
    HeadroomPartitioner partitioner = configured(Map.of(
        "headroom.partitioner.key.source", "extractor",
        "headroom.partitioner.key.extractor", MapKeyExtractor.class,
        "headroom.partitioner.key.fields", "member_id, event_type"));
    Cluster cluster = cluster("t", 12);
    Map<String, Object> event = new HashMap<>(Map.of("member_id", "m-7", "event_type", "ENROLL",
        "plan_id", "PPO"));
    int p = partitioner.partition("t", null, null, event, null, cluster);
    assertEquals(KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString("m-7").putString("ENROLL")
        .partition(12), p);
    assertEquals(BuiltInPartitioner.partitionForKey(CompositeKey.of("m-7", "ENROLL").encode(), 12),
        p);

    Map<String, Object> nullField = new HashMap<>(event);
    nullField.put("event_type", null);
    assertEquals(CompositeKey.of("m-7", null).writeTo(KeyHasher.create(HashMode.KAFKA_COMPATIBLE))
        .partition(12), partitioner.partition("t", null, null, nullField, null, cluster));

    Map<String, Object> missing = new HashMap<>(event);
    missing.remove("event_type");
    MissingKeyFieldException e = assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, missing, null, cluster));
    assertEquals("headroom partitioner: the record for topic 't' has no key field 'event_type' "
        + "(key fields [member_id, event_type]); it was not sent", e.getMessage());
    assertEquals("event_type", e.field());
    assertEquals("t", e.topic());
  }

  @Test
  void thePartitionerIsFoundByNameUntilClosedAndBindsItsMeters() {
    HeadroomPartitioner partitioner = configured(Map.of("headroom.partitioner.name", "lookup"));
    assertEquals(partitioner, HeadroomPartitioner.find("lookup").orElseThrow());
    partitioner.partition("t", CompositeKey.of("a"), null, null, null, cluster("t", 2));
    dev.headroom.core.metrics.RecordingMeterSink sink =
        new dev.headroom.core.metrics.RecordingMeterSink();
    partitioner.describeMeters(sink);
    assertEquals(1.0, sink.value("headroom.partition.sends", "name", "lookup.t", "partition",
        Integer.toString(KeyHasher.create(HashMode.KAFKA_COMPATIBLE).putString("a").partition(2))));
    partitioner.close();
    assertTrue(HeadroomPartitioner.find("lookup").isEmpty());
  }

  @Test
  void aPartitionCountChangeStartsNewCountsForTheTopic() {
    HeadroomPartitioner partitioner = configured(Map.of());
    partitioner.partition("t", CompositeKey.of("a"), null, "v1", null, cluster("t", 2));
    partitioner.partition("t", CompositeKey.of("a"), null, "v2", null, cluster("t", 6));
    assertEquals(6, partitioner.topic("t").orElseThrow().partitions());
    assertEquals(1, partitioner.topic("t").orElseThrow().totalSends());
  }
}
