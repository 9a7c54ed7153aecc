// The interrupt hook of core/ loops (interrupts.h).
#include "core/interrupts.h"

namespace pulse {
namespace {

InterruptHook g_hook = nullptr;

}  // namespace

void set_interrupt_hook(InterruptHook hook) noexcept { g_hook = hook; }

void check_interrupts() {
  if (g_hook != nullptr) g_hook();
}

}  // namespace pulse
