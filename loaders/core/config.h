// The files pulse-load reads for its configuration: the --config file and
// a secret's file (--token-file), which must be private to the user that
// runs the loader.
#pragma once

#include <string>

namespace pulse::load {

// The text of a --config file: a regular file of at most 1 MiB. Throws
// UsageError naming the path and the reason.
std::string read_config_file(const std::string& path);

// A secret kept in a file (the X bearer token): the file must be a regular
// file owned by the effective user and grant nothing to group or others
// (mode 0600 or 0400), else UsageError says what to change; the secret is
// its content without surrounding blanks and must not be empty. `what`
// names it in errors ("--token-file"); the content is never in a message.
std::string read_secret_file(const std::string& path, const std::string& what);

}  // namespace pulse::load
