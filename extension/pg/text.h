// text, text[] and bytea values for C++ callers. Views point into the
// (detoasted) datum, which lives as long as the current memory context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// The bytes of a text or bytea datum (detoasted when needed).
std::string_view text_view(Datum d);
std::string_view bytea_view(Datum d);

// A new text / bytea datum holding a copy of the bytes.
Datum text_datum(std::string_view s);
Datum bytea_datum(const void* data, std::size_t size);

// A bytea that is its own palloc'd chunk: in line, with the 4-byte header,
// 8-byte aligned (what palloc and datumCopy make), so a struct may live in
// it; nullptr for any other form (short header, compressed, out of line).
void* bytea_own_chunk(Datum d) noexcept;
// Writes the 4-byte header of a chunk holding `total` bytes (header included).
void set_bytea_size(void* chunk, std::size_t total) noexcept;
// The total size (header included) of a chunk from bytea_own_chunk.
std::size_t bytea_chunk_size(const void* chunk) noexcept;

// A one-dimensional text[] of the strings (an empty array when none).
Datum text_array_datum(const std::vector<std::string>& items);

// Whether the database's encoding is UTF8, and its name (these cannot fail).
bool database_is_utf8() noexcept;
const char* database_encoding_name() noexcept;

// s in lower case by the database's default collation, as SQL lower() does.
std::string lower(std::string_view s);

// s read by int4's input function (errors such as 22P02 throw PgError).
int32_t int4_from_cstring(const char* s);

}  // namespace pulse::pg
