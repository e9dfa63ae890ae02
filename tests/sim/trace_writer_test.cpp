#include "sim/trace_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace dcsim;
namespace fs = std::filesystem;

namespace {
fs::path temp_file(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "dcsim_tests";
  fs::create_directories(dir);
  return dir / name;
}
nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}
}  // namespace

TEST(TraceWriter, WritesValidChromeTraceJson) {
  const fs::path p = temp_file("trace_ok.json");
  fs::remove(p);
  {
    TraceWriter w(p);
    w.process_name(1, "rank \"0\"");
    w.thread_name(1, 2, "compute");
    w.complete(1, 2, "matmul", "compute", Time::ns(1500), Time::ns(2001), {{"flops", 1e12}});
    w.counter(0, "power W", Time::us(3), 700.5);
    w.instant(1, 2, "checkpoint", Time::ns(5));
    EXPECT_FALSE(fs::exists(p));  // nothing visible until close
    w.close();
  }
  const auto j = read_json(p);
  const auto& ev = j["traceEvents"];
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0]["args"]["name"], "rank \"0\"");
  EXPECT_EQ(ev[2]["ph"], "X");
  EXPECT_DOUBLE_EQ(ev[2]["ts"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(ev[2]["dur"].get<double>(), 2.001);
  EXPECT_DOUBLE_EQ(ev[2]["args"]["flops"].get<double>(), 1e12);
  EXPECT_EQ(ev[3]["ph"], "C");
  EXPECT_DOUBLE_EQ(ev[3]["args"]["value"].get<double>(), 700.5);
  EXPECT_EQ(j["otherData"]["events_dropped"], 0);
}

TEST(TraceWriter, BoundsTheNumberOfEventsAndCountsTheRest) {
  const fs::path p = temp_file("trace_bounded.json");
  TraceWriter w(p, 1000);
  for (int i = 0; i < 5000; ++i) w.complete(1, 1, "op", "c", Time::ns(i), Time::ns(1));
  w.close();
  EXPECT_EQ(w.events_written(), 1000u);
  EXPECT_EQ(w.events_dropped(), 4000u);
  const auto j = read_json(p);
  EXPECT_EQ(j["traceEvents"].size(), 1000u);
  EXPECT_EQ(j["otherData"]["events_dropped"], 4000);
}

TEST(TraceWriter, AbandonedWriterLeavesNoFileBehind) {
  const fs::path p = temp_file("trace_abandoned.json");
  fs::remove(p);
  {
    TraceWriter w(p);
    w.instant(1, 1, "x", Time::zero());
  }
  EXPECT_FALSE(fs::exists(p));
  for (const auto& entry : fs::directory_iterator(p.parent_path()))
    EXPECT_EQ(entry.path().filename().string().find("trace_abandoned.json.tmp"), std::string::npos);
}
