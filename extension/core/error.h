// Errors raised by pure C++ code (core/, loaders) with the SQLSTATE PostgreSQL
// should report. core/ never includes postgres.h, so a SQLSTATE travels as its
// five-character text and entry/ turns it into an ereport code.
#pragma once

#include "core/no_postgres.h"

#include <stdexcept>
#include <string>

namespace pulse {

// A few SQLSTATEs core code uses; the text form is what the SQL standard prints.
namespace sqlstate {
inline constexpr const char* kInvalidParameterValue = "22023";
inline constexpr const char* kNullValueNotAllowed = "22004";
inline constexpr const char* kDataException = "22000";
inline constexpr const char* kInvalidTextRepresentation = "22P02";
inline constexpr const char* kNumericValueOutOfRange = "22003";
inline constexpr const char* kUndefinedTable = "42P01";
inline constexpr const char* kUndefinedColumn = "42703";
inline constexpr const char* kDatatypeMismatch = "42804";
inline constexpr const char* kInvalidObjectDefinition = "42P17";
inline constexpr const char* kFeatureNotSupported = "0A000";
inline constexpr const char* kProgramLimitExceeded = "54000";
inline constexpr const char* kInternalError = "XX000";
inline constexpr const char* kTriggerProtocolViolated = "39P01";
}  // namespace sqlstate

class Error : public std::runtime_error {
 public:
  Error(const char* sqlstate, const std::string& message,
        std::string detail = std::string(), std::string hint = std::string())
      : std::runtime_error(message), detail_(std::move(detail)), hint_(std::move(hint)) {
    bool ended = sqlstate == nullptr;
    for (int i = 0; i < 5; ++i) {
      if (!ended && sqlstate[i] == '\0') ended = true;
      sqlstate_[i] = ended ? '0' : sqlstate[i];
    }
    sqlstate_[5] = '\0';
  }

  const char* sqlstate() const noexcept { return sqlstate_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  char sqlstate_[6];
  std::string detail_;
  std::string hint_;
};

}  // namespace pulse
