#pragma once
// A sweep's results in one SQLite database (docs/sweeps.md, "The database"): a table `meta`
// (what made it) and a table `points`, one row per point with its axis values, status, every
// scalar of its results as a column, and the whole results.json.
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "study/expression.hpp"

struct sqlite3;

namespace dcsim::study {

struct PointRow {
  std::int64_t id = 0;
  std::string key;              // SweepPoint::key()
  Bindings axes;                // column "set.<key>" each
  bool ok = false;
  std::string error;            // when not ok
  double wall_seconds = 0;
  std::vector<std::pair<std::string, double>> scalars;  // a column each
  std::string results_json;     // empty when not ok
  bool internal = false;        // the error is an internal one (a bug); not stored
};

class ResultStore {
 public:
  // Opens (or creates) the database. `meta` says what made it; a database made by another
  // sweep (a different scenario or shared overrides) is refused with EnvironmentError's
  // sibling scenario::InputError, so two studies never mix.
  ResultStore(const std::filesystem::path& file, const std::map<std::string, std::string>& meta);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  std::set<std::string> finished_keys() const;  // points that have a row
  // Adds the rows of another sweep's database that this one lacks (by point), columns and
  // all; a database of another study (meta: scenario, set, axes) is refused with
  // scenario::InputError. Returns the rows added.
  std::int64_t merge_from(const std::filesystem::path& other);
  void insert(const PointRow& row);             // one transaction: a killed sweep loses nothing written
  // Every column but results_json, as CSV (RFC 4180 quoting), rows by id; columns: id, point,
  // status, error, wall_s, the axes in the sweep's order ("axes" in meta, one key per line),
  // then the results' scalars sorted by name.
  void write_csv(const std::filesystem::path& file) const;
  // The same as a table: the names, and each row's values as text ("" for NULL).
  struct Table {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
  };
  Table table() const;

 private:
  void open_tables(const std::map<std::string, std::string>& meta);
  std::vector<std::string> ordered_columns() const;
  void exec(const std::string& sql) const;
  void ensure_column(const std::string& name, const char* type);
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  std::set<std::string> columns_;
};

// An SQL identifier in double quotes, quotes inside doubled.
std::string quote_identifier(const std::string& name);

}  // namespace dcsim::study
