// pg_restore of a Pulse database. The built-in parents (pulse.tweets,
// pulse.candles, pulse.landing) are members of the extension and keep their
// indexes, so the dump's ATTACH PARTITION already gives each built-in
// partition its indexes, and the dump's own ADD CONSTRAINT ... PRIMARY KEY /
// CREATE INDEX for them would fail as duplicates. This hook skips exactly
// those statements with a NOTICE; every other utility statement passes
// through untouched, after one node-tag test (the hook runs in every session
// when pulse is in shared_preload_libraries).
#include <string>

#include "entry/boundary.h"
#include "entry/utility_hook.h"
#include "pg/report.h"
#include "pg/utility_hook.h"

namespace {

constexpr const char* kExtension = "pulse";

// True when the statement would only re-create an index ATTACH PARTITION made
// on a partition of a Pulse table; then the NOTICE has been sent.
bool repeats_attached_index(const PlannedStmt* pstmt, ProcessUtilityContext context) {
  pulse::pg::NamedIndexCommand cmd = pulse::pg::named_index_command(pstmt, context);
  if (cmd.kind == pulse::pg::NamedIndexCommand::Kind::kNone) return false;
  pulse::pg::AttachedIndex found = pulse::pg::index_made_by_attach(cmd, kExtension);
  if (found.index == InvalidOid) return false;
  std::string message = "skipping index \"" + std::string(cmd.name) + "\" of partition " +
                        pulse::pg::qualified_relation_name(found.partition) +
                        ": ATTACH PARTITION already created it from " +
                        pulse::pg::qualified_relation_name(found.parent_index);
  pulse::pg::log(pulse::pg::LogLevel::kNotice, message.c_str());
  return true;
}

// The hook. Its frame holds no object with a destructor: a failed decision is
// raised from here, and the statement passed on may raise its own error.
void process_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                     ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                     DestReceiver* dest, QueryCompletion* qc) {
  bool skip = false;
  pulse::pg::ErrorReport report;
  if (!pulse::entry::run([&] { skip = repeats_attached_index(pstmt, context); }, &report))
    pulse::pg::raise(report);
  if (skip) return;
  pulse::pg::run_next_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
}

}  // namespace

void pulse::entry::install_utility_hook() noexcept { pg::install_utility_hook(process_utility); }
