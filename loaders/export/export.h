// pulse-load export: a stream consumer's records (pulse.read) written as
// gzip NDJSON files in Firehose's layout (export/layout.h), rolled over by
// size and age like Firehose's buffering hints; each file is whole on disk
// before the consumer's position moves past its last record (pulse.commit).
//
// A run that dies between renaming a file into place and committing leaves
// the consumer where it was: the next run reads the same records again in
// the same order (the consumer keeps the batches it handed out), finds the
// file named after the first of them, checks that it holds exactly the
// records up to the last one its name gives, and commits that one instead of
// writing the file again.
#pragma once

#include "core/cli.h"

namespace pulse::load {

// Returns the exit code: 0 done, 2 usage or configuration (no such consumer,
// another session holds it, the directory belongs to another consumer, a
// file there that does not match), 3 file-system error, 4 database error
// (among them a consumer behind retention).
int run_export(const Options& opts);

}  // namespace pulse::load
