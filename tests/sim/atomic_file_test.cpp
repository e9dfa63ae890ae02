// Files written whole or not at all; the machine's refusals are EnvironmentErrors.
#include "sim/atomic_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {
fs::path folder() {
  const fs::path p = fs::path("/tmp/dcsim_tests/atomic") / std::to_string(::getpid());
  fs::create_directories(p);
  return p;
}
}  // namespace

TEST(AtomicFile, CommitReplacesTheTargetWhole) {
  const fs::path target = folder() / "out.txt";
  { std::ofstream(target) << "old"; }
  dcsim::write_file_atomically(target, "new content");
  std::ifstream in(target);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "new content");
  for (const auto& f : fs::directory_iterator(target.parent_path()))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos);
}

TEST(AtomicFile, AWriterDestroyedWithoutCommitLeavesTheTargetAndNoTemporary) {
  const fs::path target = folder() / "kept.txt";
  { std::ofstream(target) << "kept"; }
  {
    dcsim::AtomicFile f(target);
    f.write("half");
  }
  std::ifstream in(target);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "kept");
  for (const auto& f : fs::directory_iterator(target.parent_path()))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos);
}

TEST(AtomicFile, WhatTheMachineRefusesIsAnEnvironmentError) {
  EXPECT_THROW(dcsim::AtomicFile("/nonexistent-folder/x.json"), dcsim::EnvironmentError);
  const fs::path blocked = folder() / "blocked";
  fs::create_directories(blocked / "inside");  // a folder where the file goes
  EXPECT_THROW(dcsim::write_file_atomically(blocked, "x"), dcsim::EnvironmentError);
}
