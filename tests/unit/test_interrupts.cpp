// core/ loops call the interrupt hook while they run, and whatever the hook
// throws (a cancelled query in the extension) unwinds out of them.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "core/interrupts.h"
#include "core/lagged_corr.h"

namespace {

int g_checks = 0;
int g_cancel_at = -1;  // the check that throws; -1: never

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

void counting_hook() {
  ++g_checks;
  if (g_checks == g_cancel_at) throw Cancelled();
}

// Installs counting_hook for one test and removes it afterwards.
class InterruptHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_checks = 0;
    g_cancel_at = -1;
    pulse::set_interrupt_hook(counting_hook);
  }
  void TearDown() override { pulse::set_interrupt_hook(nullptr); }
};

TEST_F(InterruptHookTest, LaggedCorrChecksAsItGoes) {
  const int64_t len = 4 * pulse::kInterruptCheckInterval;
  std::vector<double> x(static_cast<size_t>(len)), y(static_cast<size_t>(len));
  for (int64_t i = 0; i < len; ++i) {
    x[static_cast<size_t>(i)] = static_cast<double>(i % 97);
    y[static_cast<size_t>(i)] = static_cast<double>(i % 89);
  }
  auto rows = pulse::lagged_corr(x, {}, y, {}, 2);
  EXPECT_EQ(rows.size(), 5u);
  // at least one check per chunk of every lag
  EXPECT_GE(g_checks, 5 * 4);
}

TEST_F(InterruptHookTest, CancelUnwindsOutOfLaggedCorr) {
  const int64_t len = 4 * pulse::kInterruptCheckInterval;
  std::vector<double> x(static_cast<size_t>(len), 1.0), y(static_cast<size_t>(len), 2.0);
  g_cancel_at = 3;
  EXPECT_THROW(pulse::lagged_corr(x, {}, y, {}, 3), Cancelled);
  EXPECT_EQ(g_checks, 3);  // stopped at the cancel, not at the end
}

TEST(InterruptHook, NoHookIsANoOp) {
  pulse::set_interrupt_hook(nullptr);
  EXPECT_NO_THROW(pulse::check_interrupts());
  std::vector<double> x{1, 2, 3, 4}, y{2, 4, 6, 9};
  EXPECT_EQ(pulse::lagged_corr(x, {}, y, {}, 1).size(), 3u);
}

}  // namespace
