// Analytics entry points (analytics.cpp): the settings they read.
#pragma once

namespace pulse::entry {

// Defines the pulse.moving_corr_* GUCs; called once from _PG_init.
void define_analytics_gucs() noexcept;

}  // namespace pulse::entry
