package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the README's scaling-signals example and checks what it prints. */
class ScalingSignalsExampleTest {

  @Test
  void printsTheCappedAdviceAndItsReason() {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ScalingSignalsExample.main(new String[0]);
    } finally {
      System.setOut(out);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    assertTrue(printed.startsWith("38 pods: capped by database budget 'enrollment-db' at 38 pods"
        + " (signals ask for 60)"), printed);
  }
}
