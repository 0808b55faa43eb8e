#pragma once
// Reading call rows into Call, and the blobs kept beside them.
#include <optional>
#include <string>
#include <string_view>

#include "common/model.h"
#include "daemon/store/queries.h"
#include "daemon/store/sqlite.h"

namespace fnq {

// A Call from a row of FNQ_CALL_COLUMNS starting at column 0.
Result<Call> read_call(const Query& q);

// The call with this id; not_found "unknown call 'id'".
Result<Call> load_call(Database& db, const std::string& id);

enum class BlobKind { input = 0, output = 1, stderr_tail = 2 };

// Stores data as the call's blob of this kind; empty data removes it.
Status put_blob(Database& db, const std::string& call_id, BlobKind kind, std::string_view data);

// The blob of a call ("" when empty); not_found if the call does not exist.
Result<std::string> read_blob(Database& db, const std::string& call_id, BlobKind kind);

// Makes the stored output of `from` the input of `to` (and its input_size).
Status copy_output_to_input(Database& db, const std::string& from, const std::string& to);

Error unknown_call(const std::string& id);

}  // namespace fnq
