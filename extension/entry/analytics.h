// Analytics entry points (analytics.cpp): the settings they read.
#pragma once

namespace pulse::entry {

// Defines the pulse.moving_corr_* settings; called once from _PG_init.
void define_analytics_gucs();

}  // namespace pulse::entry
