#include "study/result_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "models/scenario/diagnostics.hpp"
#include "sim/atomic_file.hpp"

namespace dcsim::study {
namespace {

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), int(sql.size()), &st_, nullptr) != SQLITE_OK)
      throw EnvironmentError(fmt::format("sqlite: {}: {}", sqlite3_errmsg(db), sql));
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return st_; }
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw EnvironmentError(fmt::format("sqlite: {}", sqlite3_errmsg(db_)));
  }
  void bind_text(int i, const std::string& s) { sqlite3_bind_text(st_, i, s.data(), int(s.size()), SQLITE_TRANSIENT); }
  // A value that reads as a number is stored as one, so charts and SQL compare numbers.
  void bind_value(int i, const std::string& s) {
    double d = 0;
    std::int64_t whole = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), whole);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size())
      sqlite3_bind_int64(st_, i, whole);
    else if (parse_number(s, d))
      sqlite3_bind_double(st_, i, d);
    else
      bind_text(i, s);
  }
  std::string column_text(int i) const {
    const unsigned char* t = sqlite3_column_text(st_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

ResultStore::ResultStore(const std::filesystem::path& file, const std::map<std::string, std::string>& meta) : file_(file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw EnvironmentError(fmt::format("cannot open {}: {}", file.string(), why));
  }
  try {
    open_tables(meta);
  } catch (...) {
    sqlite3_close(db_);  // the destructor does not run for a constructor that throws
    db_ = nullptr;
    throw;
  }
}

void ResultStore::open_tables(const std::map<std::string, std::string>& meta) {
  sqlite3_busy_timeout(db_, 10'000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  // A point is known by its overrides; its id orders the table (and is only unique within
  // one grid: a resumed sweep whose axes changed may hold two points of one id).
  exec("CREATE TABLE IF NOT EXISTS points (id INTEGER NOT NULL, point TEXT PRIMARY KEY, status TEXT NOT NULL, "
       "error TEXT, wall_s REAL, results_json TEXT)");
  {
    Statement cols(db_, "SELECT name FROM pragma_table_info('points')");
    while (cols.step()) columns_.insert(cols.column_text(0));
  }
  // The keys that define the study must match a database made before; only then is the
  // meta table brought up to date.
  for (const auto& [key, value] : meta) {
    Statement get(db_, "SELECT value FROM meta WHERE key = ?");
    get.bind_text(1, key);
    if (!get.step()) continue;
    const std::string before = get.column_text(0);
    if (before != value && key != "dcsim_version")
      throw scenario::InputError(fmt::format(
          "error: {} holds another sweep's points ({} was \"{}\", now \"{}\"); give another --out or remove it\n",
          file_.string(), key, before, value));
  }
  for (const auto& [key, value] : meta) {
    Statement put(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    put.bind_text(1, key);
    put.bind_text(2, value);
    put.step();
  }
}

ResultStore::~ResultStore() { sqlite3_close(db_); }

std::int64_t ResultStore::merge_from(const std::filesystem::path& other) {
  if (!std::filesystem::is_regular_file(other))
    throw scenario::InputError(fmt::format("error: --merge: no database at {}\n", other.string()));
  {
    Statement attach(db_, "ATTACH DATABASE ? AS other");
    attach.bind_text(1, other.string());
    attach.step();
  }
  try {
    for (const char* key : {"scenario", "set", "axes"}) {
      Statement a(db_, "SELECT value FROM main.meta WHERE key = ?"), b(db_, "SELECT value FROM other.meta WHERE key = ?");
      a.bind_text(1, key);
      b.bind_text(1, key);
      const std::string mine = a.step() ? a.column_text(0) : "", theirs = b.step() ? b.column_text(0) : "";
      if (mine != theirs)
        throw scenario::InputError(fmt::format("error: --merge: {} is another sweep's database ({} is \"{}\", here \"{}\")\n",
                                               other.string(), key, theirs, mine));
    }
    std::vector<std::string> cols;
    {
      Statement info(db_, "SELECT name, type FROM pragma_table_info('points', 'other')");
      while (info.step()) {
        const std::string name = info.column_text(0), type = info.column_text(1);
        ensure_column(name, type.c_str());
        cols.push_back(quote_identifier(name));
      }
    }
    std::string list;
    for (const auto& c : cols) list += (list.empty() ? "" : ", ") + c;
    const int before = sqlite3_total_changes(db_);
    exec(fmt::format("INSERT OR IGNORE INTO main.points ({0}) SELECT {0} FROM other.points", list));
    const std::int64_t added = sqlite3_total_changes(db_) - before;
    exec("DETACH DATABASE other");
    return added;
  } catch (...) {
    sqlite3_exec(db_, "DETACH DATABASE other", nullptr, nullptr, nullptr);
    throw;
  }
}

void ResultStore::exec(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message ? message : "unknown";
    sqlite3_free(message);
    throw EnvironmentError(fmt::format("{}: sqlite: {}", file_.string(), why));
  }
}

void ResultStore::ensure_column(const std::string& name, const char* type) {
  if (columns_.count(name)) return;
  exec(fmt::format("ALTER TABLE points ADD COLUMN {} {}", quote_identifier(name), type));
  columns_.insert(name);
}

std::set<std::string> ResultStore::finished_keys() const {
  std::set<std::string> keys;
  Statement st(db_, "SELECT point FROM points");
  while (st.step()) keys.insert(st.column_text(0));
  return keys;
}

void ResultStore::insert(const PointRow& row) {
  exec("BEGIN IMMEDIATE");
  try {
    std::vector<std::string> names = {"id", "point", "status", "error", "wall_s", "results_json"};
    for (const auto& [key, value] : row.axes) {
      ensure_column("set." + key, "");  // no declared type: numbers stay numbers, text stays text
      names.push_back("set." + key);
    }
    for (const auto& [path, value] : row.scalars) {
      ensure_column(path, "REAL");
      names.push_back(path);
    }
    std::string cols, marks;
    for (std::size_t i = 0; i < names.size(); ++i) {
      cols += (i ? ", " : "") + quote_identifier(names[i]);
      marks += i ? ", ?" : "?";
    }
    Statement st(db_, fmt::format("INSERT OR REPLACE INTO points ({}) VALUES ({})", cols, marks));
    sqlite3_bind_int64(st.get(), 1, row.id);
    st.bind_text(2, row.key);
    st.bind_text(3, row.ok ? "ok" : "error");
    if (row.ok)
      sqlite3_bind_null(st.get(), 4);
    else
      st.bind_text(4, row.error);
    sqlite3_bind_double(st.get(), 5, row.wall_seconds);
    if (row.ok)
      st.bind_text(6, row.results_json);
    else
      sqlite3_bind_null(st.get(), 6);
    int i = 7;
    for (const auto& [key, value] : row.axes) st.bind_value(i++, value);
    for (const auto& [path, value] : row.scalars) sqlite3_bind_double(st.get(), i++, value);
    st.step();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

// Columns in an order that does not depend on which point finished first: the fixed ones,
// the axes in the sweep's order, then the results' scalars by name.
std::vector<std::string> ResultStore::ordered_columns() const {
  std::vector<std::string> fixed = {"id", "point", "status", "error", "wall_s"}, axes, results;
  std::vector<std::string> axis_order;
  {
    Statement get(db_, "SELECT value FROM meta WHERE key = 'axes'");
    if (get.step()) {
      const std::string text = get.column_text(0);
      for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        axis_order.push_back("set." + text.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  for (const std::string& a : axis_order)
    if (columns_.count(a)) axes.push_back(a);
  for (const std::string& c : columns_) {
    if (c == "results_json" || std::find(fixed.begin(), fixed.end(), c) != fixed.end() ||
        std::find(axes.begin(), axes.end(), c) != axes.end())
      continue;
    results.push_back(c);  // std::set: already sorted
  }
  fixed.insert(fixed.end(), axes.begin(), axes.end());
  fixed.insert(fixed.end(), results.begin(), results.end());
  return fixed;
}

ResultStore::Table ResultStore::table() const {
  Table t;
  t.columns = ordered_columns();
  std::string cols;
  for (const std::string& name : t.columns) cols += (cols.empty() ? "" : ", ") + quote_identifier(name);
  Statement st(db_, fmt::format("SELECT {} FROM points ORDER BY id, point", cols));
  while (st.step()) {
    std::vector<std::string> row;
    for (int i = 0; i < int(t.columns.size()); ++i) {
      // Doubles as the shortest text that reads back the same.
      if (sqlite3_column_type(st.get(), i) == SQLITE_FLOAT)
        row.push_back(fmt::format("{}", sqlite3_column_double(st.get(), i)));
      else
        row.push_back(st.column_text(i));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

void ResultStore::write_csv(const std::filesystem::path& file) const {
  const Table t = table();
  AtomicFile out(file);
  std::string line;
  for (std::size_t i = 0; i < t.columns.size(); ++i) line += (i ? "," : "") + csv_field(t.columns[i]);
  out.write(line + "\n");
  for (const auto& row : t.rows) {
    line.clear();
    for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "," : "") + csv_field(row[i]);
    out.write(line + "\n");
  }
  out.commit();
}

}  // namespace dcsim::study
