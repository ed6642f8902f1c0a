package dev.headroom.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the README's guard example: the slow call times out at the ceiling and falls back. */
class GuardExampleTest {

  @Test
  void syncFallbackAndAsyncCallsAnswer() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      GuardExample.main(new String[0]);
    } finally {
      System.setOut(out);
    }
    assertEquals("shipped unknown shipped", captured.toString(StandardCharsets.UTF_8).trim());
  }
}
