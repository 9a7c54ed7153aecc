// The one way C++ code calls into PostgreSQL functions that may ereport().
// pg_guard() runs the call inside PG_TRY, and if PostgreSQL raises an error it
// restores the memory context, copies the error out, flushes it and throws
// pulse::pg::PgError after leaving the PG_TRY frame, so destructors run normally.
//
// Rules for the callable passed in: it holds no object with a destructor and
// never throws; it is just the PostgreSQL call. After a PgError the
// transaction is doomed: callers call PostgreSQL again only to abort it (a
// background worker) or through the entry/ boundary that re-raises the error.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "core/error.h"

extern "C" {
#include "postgres.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

namespace pulse::pg {

// A PostgreSQL error caught by pg_guard: keeps the original SQLSTATE (as the
// packed int PostgreSQL uses) so it can be re-raised unchanged.
class PgError : public pulse::Error {
 public:
  PgError(int sqlerrcode, const std::string& message, std::string detail,
          std::string hint, std::string context)
      : Error(unpack(sqlerrcode).c_str(), message, std::move(detail), std::move(hint)),
        sqlerrcode_(sqlerrcode),
        context_(std::move(context)) {}

  int sqlerrcode() const noexcept { return sqlerrcode_; }
  const std::string& context() const noexcept { return context_; }

 private:
  static std::string unpack(int code) {
    std::string s(5, '0');
    s[0] = PGUNSIXBIT(code);
    s[1] = PGUNSIXBIT(code >> 6);
    s[2] = PGUNSIXBIT(code >> 12);
    s[3] = PGUNSIXBIT(code >> 18);
    s[4] = PGUNSIXBIT(code >> 24);
    return s;
  }
  int sqlerrcode_;
  std::string context_;
};

namespace detail {
// Builds the exception from a copied ErrorData (palloc'd) and frees it.
[[noreturn]] void throw_pg_error(ErrorData* edata);
}  // namespace detail

template <typename Fn>
auto pg_guard(Fn&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  static_assert(std::is_void_v<R> || std::is_scalar_v<R>,
                "pg_guard returns only scalars (Datum, pointers, numbers)");
  MemoryContext saved = CurrentMemoryContext;
  ErrorData* volatile edata = nullptr;
  if constexpr (std::is_void_v<R>) {
    PG_TRY();
    {
      fn();
    }
    PG_CATCH();
    {
      MemoryContextSwitchTo(saved);
      edata = CopyErrorData();
      FlushErrorState();
    }
    PG_END_TRY();
    if (edata != nullptr) detail::throw_pg_error(edata);
  } else {
    R volatile result{};
    PG_TRY();
    {
      result = fn();
    }
    PG_CATCH();
    {
      MemoryContextSwitchTo(saved);
      edata = CopyErrorData();
      FlushErrorState();
    }
    PG_END_TRY();
    if (edata != nullptr) detail::throw_pg_error(edata);
    return result;
  }
}

}  // namespace pulse::pg
