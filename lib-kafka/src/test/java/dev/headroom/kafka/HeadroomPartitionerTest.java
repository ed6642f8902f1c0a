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
import org.apache.kafka.common.serialization.StringSerializer;
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
  void aRecordWithoutAKeyFailsInsteadOfGoingToPartitionZero() {
    HeadroomPartitioner partitioner = configured(Map.of());
    Cluster cluster = cluster("t", 3);
    MissingKeyFieldException e = assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, "v", null, cluster));
    assertEquals("headroom partitioner: the record for topic 't' has no key "
        + "(headroom.partitioner.key.source=key needs a String, byte[], CompositeKey or "
        + "serialized key); it was not sent", e.getMessage());
    assertEquals("t", e.topic());
  }

  @Test
  void plainStringAndByteKeysLandWhereKafkaPutsThem() {
    HeadroomPartitioner partitioner = configured(Map.of());
    Cluster cluster = cluster("t", 12);
    StringSerializer strings = new StringSerializer();
    for (String key : List.of("PPO-GOLD", "PLAN-0", "Zoë", "lone \ud800", "")) {
      byte[] bytes = strings.serialize("t", key);
      assertEquals(BuiltInPartitioner.partitionForKey(bytes, 12),
          partitioner.partition("t", key, bytes, "v", null, cluster), key);
      assertEquals(BuiltInPartitioner.partitionForKey(bytes, 12),
          partitioner.partition("t", bytes, bytes, "v2", null, cluster), key);
    }
    // Another key type: its serialized bytes, which is what Kafka hashes.
    byte[] longBytes = new org.apache.kafka.common.serialization.LongSerializer().serialize("t", 42L);
    HeadroomPartitioner longs = configured(Map.of("key.serializer",
        "org.apache.kafka.common.serialization.LongSerializer"));
    assertEquals(BuiltInPartitioner.partitionForKey(longBytes, 12),
        longs.partition("t", 42L, longBytes, "v", null, cluster));
    // A String key with a serializer that is not UTF-8: hashed by its serialized bytes.
    HeadroomPartitioner utf16 = configured(Map.of("key.serializer.encoding", "UTF-16"));
    byte[] wide = "PPO-GOLD".getBytes(java.nio.charset.StandardCharsets.UTF_16);
    assertEquals(BuiltInPartitioner.partitionForKey(wide, 12),
        utf16.partition("t", "PPO-GOLD", wide, "v", null, cluster));
  }

  @Test
  void aDelimitedStringKeyIsSplitIntoItsNamedParts() {
    HeadroomPartitioner partitioner = configured(Map.of(
        "headroom.partitioner.key.delimiter", "|",
        "headroom.partitioner.key.fields", "tenant,member_id,event_type",
        "headroom.partitioner.unordered.field", "event_type",
        "headroom.partitioner.unordered.values", "SYNC",
        "headroom.partitioner.spread.enabled", "true"));
    Cluster cluster = cluster("t", 12);
    assertEquals(CompositeKey.of("t1", "m-7", "ENROLL").writeTo(
        KeyHasher.create(HashMode.KAFKA_COMPATIBLE)).partition(12),
        partitioner.partition("t", "t1|m-7|ENROLL", null, "v", null, cluster));
    assertEquals("headroom partitioner: the record for topic 't' has no key field 'event_type' "
        + "(key fields [tenant, member_id, event_type]); it was not sent",
        assertThrows(MissingKeyFieldException.class,
            () -> partitioner.partition("t", "t1|m-7", null, "v", null, cluster)).getMessage());
    assertEquals("headroom partitioner: the record for topic 't' has a key with more than the 3 "
        + "parts [tenant, member_id, event_type] separated by '|'; it was not sent",
        assertThrows(MissingKeyFieldException.class,
            () -> partitioner.partition("t", "t1|m-7|A|B", null, "v", null, cluster))
            .getMessage());
    // SYNC records are unordered: once hot they are spread; ENROLL records never move.
    for (int i = 0; i < 20_000; i++) {
      partitioner.partition("t", "t1|sync|SYNC", null, new Object(), null, cluster);
    }
    KeyPartitioner state = partitioner.topic("t").orElseThrow();
    assertEquals(1, state.hotKeyCount());
    assertTrue(state.spreadCount() > 5_000, "spread " + state.spreadCount()); // hot after 768 samples
  }

  @Test
  void jsonValuesAreReadForTheNamedFieldsOnly() {
    HeadroomPartitioner partitioner = configured(Map.of(
        "headroom.partitioner.key.source", "value.json",
        "headroom.partitioner.key.fields", "member_id,event_type"));
    Cluster cluster = cluster("t", 12);
    String json = "{\"event_id\":7,\"nested\":{\"member_id\":\"no\"},\"list\":[1,{\"a\":2}],"
        + "\"event_type\":\"ENROLL\",\"member_id\":\"Zoë-7\",\"later\":{}}";
    assertEquals(CompositeKey.of("Zoë-7", "ENROLL").writeTo(
        KeyHasher.create(HashMode.KAFKA_COMPATIBLE)).partition(12),
        partitioner.partition("t", null, null, json, utf8(json), cluster));
    // Numbers, booleans and null are typed fields.
    String typed = "{\"member_id\":12345,\"event_type\":null}";
    assertEquals(CompositeKey.of(12345L, null).writeTo(KeyHasher.create(HashMode.KAFKA_COMPATIBLE))
        .partition(12), partitioner.partition("t", null, null, typed, utf8(typed), cluster));
    // One string field: exactly Kafka's partition of that string as a key.
    HeadroomPartitioner plan = configured(Map.of("headroom.partitioner.key.source", "value.json",
        "headroom.partitioner.key.fields", "plan_id"));
    String event = "{\"plan_id\":\"PPO-GOLD\",\"member_id\":\"m\"}";
    assertEquals(BuiltInPartitioner.partitionForKey(utf8("PPO-GOLD"), 12),
        plan.partition("t", null, null, event, utf8(event), cluster));

    String missing = "{\"member_id\":\"m-1\",\"plan_id\":\"P\"}";
    MissingKeyFieldException e = assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, missing, utf8(missing), cluster));
    assertEquals("headroom partitioner: the record for topic 't' has no key field 'event_type' "
        + "(key fields [member_id, event_type]); it was not sent", e.getMessage());
    assertEquals("event_type", e.field());
    String object = "{\"member_id\":{\"id\":1},\"event_type\":\"E\"}";
    assertEquals("headroom partitioner: the record for topic 't' has key field 'member_id' "
        + "holding a JSON object; a key field must be a string, number, boolean or null; it "
        + "was not sent", assertThrows(MissingKeyFieldException.class,
            () -> partitioner.partition("t", null, null, object, utf8(object), cluster))
            .getMessage());
    assertTrue(assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, "x", utf8("{\"member_id\":"), cluster))
        .getMessage().startsWith("headroom partitioner: the record for topic 't' has a value "
            + "that is not well-formed JSON"));
    assertEquals("headroom partitioner: the record for topic 't' has a value that is not a JSON "
        + "object, so it has no key fields [member_id, event_type]; it was not sent",
        assertThrows(MissingKeyFieldException.class,
            () -> partitioner.partition("t", null, null, "x", utf8("[1]"), cluster))
            .getMessage());
    assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, null, null, cluster));

    // Regression: the unordered field may also be a key field (event_type here).
    HeadroomPartitioner sync = configured(Map.of("headroom.partitioner.key.source", "value.json",
        "headroom.partitioner.key.fields", "member_id,event_type",
        "headroom.partitioner.unordered.field", "event_type",
        "headroom.partitioner.unordered.values", "SYNC",
        "headroom.partitioner.spread.enabled", "true"));
    String syncEvent = "{\"member_id\":\"t0-hr-sync\",\"event_type\":\"SYNC\"}";
    for (int i = 0; i < 20_000; i++) {
      sync.partition("t", null, null, new Object(), utf8(syncEvent), cluster);
    }
    assertTrue(sync.topic("t").orElseThrow().spreadCount() > 5_000, "SYNC records spread");
  }

  @Test
  void headersAreReadThroughTheInterceptor() {
    HeadroomPartitioner partitioner = configured(Map.of(
        "headroom.partitioner.key.source", "header",
        "headroom.partitioner.key.fields", "tenant,event_type",
        "interceptor.classes", KeyHeadersInterceptor.class.getName()));
    KeyHeadersInterceptor interceptor = new KeyHeadersInterceptor();
    Cluster cluster = cluster("t", 12);
    org.apache.kafka.common.header.internals.RecordHeaders headers =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add("tenant", utf8("Zoë"));
    headers.add("event_type", utf8("ENROLL"));
    Object value = new Object();
    interceptor.onSend(new org.apache.kafka.clients.producer.ProducerRecord<>("t", null, null,
        null, value, headers));
    assertEquals(CompositeKey.of("Zoë", "ENROLL").writeTo(
        KeyHasher.create(HashMode.KAFKA_COMPATIBLE)).partition(12),
        partitioner.partition("t", null, null, value, null, cluster));
    // Without the interceptor's hand-over for this record, the send fails and says why.
    assertTrue(assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, new Object(), null, cluster)).getMessage()
        .contains("add dev.headroom.kafka.KeyHeadersInterceptor to interceptor.classes"));
    headers.remove("event_type");
    Object other = new Object();
    interceptor.onSend(new org.apache.kafka.clients.producer.ProducerRecord<>("t", null, null,
        null, other, headers));
    assertEquals("event_type", assertThrows(MissingKeyFieldException.class,
        () -> partitioner.partition("t", null, null, other, null, cluster)).field());
  }

  static byte[] utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
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
        "headroom.partitioner.key.source", "value.map",
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
