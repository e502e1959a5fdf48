// The ring buffer a session asks the kernel for: --ringbuf-mb if given, else the mode's default
// (32 MiB in exact mode; 4 MiB with --sample, whose events are rare: a long-lived agent stays
// small, as the kernel maps the buffer's pages twice).
#include <gtest/gtest.h>

#include "userspace/session/trace_options.h"

namespace goretain {
namespace {

TEST(RingbufDefault, ModeDefaultsAndExplicitSize) {
  TraceOptions t;
  EXPECT_EQ(RingbufMb(t), 32u);
  t.sample = true;
  EXPECT_EQ(RingbufMb(t), 4u);
  t.ringbuf_mb = 16;  // --ringbuf-mb 16 wins in either mode
  EXPECT_EQ(RingbufMb(t), 16u);
  t.sample = false;
  EXPECT_EQ(RingbufMb(t), 16u);
}

}  // namespace
}  // namespace goretain
