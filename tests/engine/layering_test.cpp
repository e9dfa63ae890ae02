// Dependencies only point down (../shared/DESIGN.md, "Layers"): every source file includes
// only its own layer and the layers below it. The order is
//   sim < models/hardware < models/power < models/network < models/workload
//       < models/reliability < models/scenario < engine < study < tools, python
// (sim knows nothing of datacenters, the models never read YAML, and nothing below tools/
// knows the command line). The CMake targets follow the same order: dcsim_sim <- dcsim_models
// <- dcsim_engine <- dcsim_study <- dcsim_app (the command line) and dcsim_python.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {
namespace fs = std::filesystem;

struct Layer {
  std::string dir;  // relative to the source root
  int rank;
};
const std::vector<Layer> kLayers = {
    {"sim", 0},       {"models/hardware", 1}, {"models/power", 2}, {"models/network", 3}, {"models/workload", 4},
    {"models/reliability", 5}, {"models/scenario", 6}, {"engine", 7}, {"study", 8}, {"tools", 9}, {"python", 9},
};

// The layer a path belongs to (the longest matching folder), or -1.
int rank_of(const std::string& path) {
  int rank = -1;
  std::size_t longest = 0;
  for (const Layer& l : kLayers)
    if (path.rfind(l.dir + "/", 0) == 0 && l.dir.size() > longest) {
      longest = l.dir.size();
      rank = l.rank;
    }
  return rank;
}

// Every `#include "x"` of a file that names a layer above the file's own.
std::vector<std::string> upward_includes(const fs::path& root, const std::string& file) {
  static const std::regex include(R"(^\s*#\s*include\s*"([^"]+)\")");
  std::vector<std::string> found;
  std::ifstream in(root / file);
  std::string line;
  int number = 0;
  const int own = rank_of(file);
  while (std::getline(in, line)) {
    ++number;
    std::smatch m;
    if (!std::regex_search(line, m, include)) continue;
    const int target = rank_of(m[1].str());
    if (target > own) found.push_back(file + ":" + std::to_string(number) + ": " + m[1].str());
  }
  return found;
}

std::vector<std::string> sources_of_layers(const fs::path& root) {
  std::vector<std::string> files;
  for (const Layer& l : kLayers)
    for (const auto& e : fs::recursive_directory_iterator(root / l.dir)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp" || ext == ".in"))
        files.push_back(fs::relative(e.path(), root).generic_string());
    }
  return files;
}

TEST(Layering, NoSourceFileIncludesALayerAboveItsOwn) {
  const fs::path root = DCSIM_SOURCE_DIR;
  const auto files = sources_of_layers(root);
  ASSERT_GT(files.size(), 100u);  // the walk found the tree
  std::vector<std::string> violations;
  for (const auto& f : files)
    for (auto& v : upward_includes(root, f)) violations.push_back(std::move(v));
  EXPECT_TRUE(violations.empty()) << [&] {
    std::string all;
    for (const auto& v : violations) all += v + "\n";
    return all;
  }();
}

// The check itself catches what it is for: an upward include in a scratch tree fails it.
TEST(Layering, TheCheckFindsAnUpwardInclude) {
  const fs::path root = fs::temp_directory_path() / "dcsim_layering_test";
  fs::remove_all(root);
  fs::create_directories(root / "models/network");
  std::ofstream(root / "models/network/a.cpp") << "#include \"models/hardware/x.hpp\"\n"
                                                  "  #  include \"engine/engine.hpp\"\n"
                                                  "#include <vector>\n";
  EXPECT_EQ(upward_includes(root, "models/network/a.cpp"),
            std::vector<std::string>{"models/network/a.cpp:2: engine/engine.hpp"});
  std::ofstream(root / "models/network/b.cpp") << "#include \"models/workload/plan.hpp\"\n";
  EXPECT_EQ(upward_includes(root, "models/network/b.cpp").size(), 1u);
  std::ofstream(root / "models/network/c.cpp") << "#include \"models/power/p.hpp\"\n#include \"sim/time.hpp\"\n";
  EXPECT_TRUE(upward_includes(root, "models/network/c.cpp").empty());
  fs::remove_all(root);
}

}  // namespace
