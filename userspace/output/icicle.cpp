#include "userspace/output/icicle.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace goretain {
namespace {

struct TreeNode {
  const SourceFrame* frame = nullptr;  // into the rows, which outlive the tree
  uint64_t bytes[2] = {0, 0};  // by IcicleValue
  bool leaking = false;
  std::vector<size_t> children;
};

// A child's identity under its parent, viewing the rows' strings (no copy per frame).
struct ChildKey {
  size_t parent;
  std::string_view function, file;
  int line;
  bool operator==(const ChildKey&) const = default;
};
struct ChildKeyHash {
  size_t operator()(const ChildKey& k) const {
    size_t h = std::hash<std::string_view>{}(k.function);
    h ^= std::hash<std::string_view>{}(k.file) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= (k.parent * 0x9e3779b97f4a7c15ull) ^ static_cast<size_t>(k.line);
    return h;
  }
};

// The call tree of all rows; node 0 is a root standing for the whole.
class CallTree {
 public:
  CallTree() { nodes_.emplace_back(); }

  explicit CallTree(size_t rows) : CallTree() { index_.reserve(rows * 2); }

  void Add(const CallsiteRow& row) {
    const uint64_t bytes[2] = {row.retained_bytes.value_or(0), row.alloc_bytes};
    size_t at = 0;
    Visit(at, bytes, row.leaking);
    for (auto f = row.stack.rbegin(); f != row.stack.rend(); ++f) {
      at = Child(at, *f);
      Visit(at, bytes, row.leaking);
    }
    at = Child(at, row.site);
    Visit(at, bytes, row.leaking);
  }

  // Lays out the children of `parent` (at `x`, `depth`) into `out`, recursively.
  void Place(int v, size_t parent, double x, int depth, double total, double min_width,
             IcicleLayout& out) {
    std::vector<size_t> kids = nodes_[parent].children;
    std::sort(kids.begin(), kids.end(), [&](size_t a, size_t b) {
      if (nodes_[a].bytes[v] != nodes_[b].bytes[v]) return nodes_[a].bytes[v] > nodes_[b].bytes[v];
      return nodes_[a].frame->function < nodes_[b].frame->function;
    });
    for (size_t k : kids) {
      const TreeNode& n = nodes_[k];
      const double width = static_cast<double>(n.bytes[v]) / total;
      if (width < min_width || n.bytes[v] == 0) break;  // sorted: the rest are narrower still
      out.nodes.push_back(IcicleNode{x, width, depth, n.bytes[v], *n.frame, n.leaking});
      out.levels = std::max(out.levels, depth + 1);
      Place(v, k, x, depth + 1, total, min_width, out);
      x += width;
    }
  }

  uint64_t total(int v) const { return nodes_[0].bytes[v]; }

 private:
  void Visit(size_t node, const uint64_t (&bytes)[2], bool leaking) {
    nodes_[node].bytes[0] += bytes[0];
    nodes_[node].bytes[1] += bytes[1];
    nodes_[node].leaking = nodes_[node].leaking || leaking;
  }

  size_t Child(size_t parent, const SourceFrame& f) {
    auto [it, inserted] =
        index_.try_emplace(ChildKey{parent, f.function, f.file, f.line}, nodes_.size());
    if (inserted) {
      nodes_.push_back(TreeNode{&f, {0, 0}, false, {}});
      nodes_[parent].children.push_back(it->second);
    }
    return it->second;
  }

  std::vector<TreeNode> nodes_;
  std::unordered_map<ChildKey, size_t, ChildKeyHash> index_;
};

}  // namespace

IcicleLayouts LayoutIcicles(const std::vector<CallsiteRow>& rows, double min_width) {
  CallTree tree(rows.size());
  for (const CallsiteRow& row : rows) tree.Add(row);
  IcicleLayouts out;
  IcicleLayout* by_value[2] = {&out.retained, &out.allocated};
  for (int v = 0; v < 2; v++) {
    IcicleLayout& l = *by_value[v];
    l.total_bytes = tree.total(v);
    if (l.total_bytes) tree.Place(v, 0, 0, 0, static_cast<double>(l.total_bytes), min_width, l);
  }
  return out;
}

IcicleLayout LayoutIcicle(const std::vector<CallsiteRow>& rows, IcicleValue value,
                          double min_width) {
  IcicleLayouts both = LayoutIcicles(rows, min_width);
  return value == IcicleValue::kRetained ? std::move(both.retained) : std::move(both.allocated);
}

}  // namespace goretain
