#include "daemon/store/call_rows.h"

#include "daemon/store/call_row_reader.h"

namespace fnq {

Error unknown_call(const std::string& id) {
  return make_error(ErrorKind::not_found, "unknown call '" + id + "'");
}

Result<Call> read_call(const Query& q) { return read_call_row(q); }

Result<Call> load_call(Database& db, const std::string& id) {
  Query q = db.query(sql::k_call_by_id);
  q.bind(1, id);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return unknown_call(id);
  }
  return read_call(q);
}

Status put_blob(Database& db, const std::string& call_id, BlobKind kind, std::string_view data) {
  if (data.empty()) {
    Query q = db.query("DELETE FROM call_blobs WHERE call_id = ?1 AND kind = ?2");
    q.bind(1, call_id).bind(2, static_cast<int>(kind));
    return q.run();
  }
  Query q = db.query("INSERT OR REPLACE INTO call_blobs (call_id, kind, data) VALUES (?1, ?2, ?3)");
  q.bind(1, call_id).bind(2, static_cast<int>(kind)).bind_blob(3, data);
  return q.run();
}

Result<std::string> read_blob(Database& db, const std::string& call_id, BlobKind kind) {
  // One statement, so the call's existence and its blob come from one snapshot.
  Query q = db.query(sql::k_blob_of_call);
  q.bind(1, call_id).bind(2, static_cast<int>(kind));
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return unknown_call(call_id);
  }
  return q.blob(0);
}

Status copy_output_to_input(Database& db, const std::string& from, const std::string& to) {
  {
    Query q = db.query("DELETE FROM call_blobs WHERE call_id = ?1 AND kind = 0");
    q.bind(1, to);
    FNQ_TRY(q.run());
  }
  {
    Query q = db.query(
        "INSERT INTO call_blobs (call_id, kind, data) "
        "SELECT ?2, 0, data FROM call_blobs WHERE call_id = ?1 AND kind = 1");
    q.bind(1, from).bind(2, to);
    FNQ_TRY(q.run());
  }
  Query q = db.query(
      "UPDATE calls SET input_size = coalesce("
      "(SELECT length(data) FROM call_blobs WHERE call_id = ?1 AND kind = 0), 0) WHERE id = ?1");
  q.bind(1, to);
  return q.run();
}

}  // namespace fnq
