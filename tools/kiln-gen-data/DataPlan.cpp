//===- DataPlan.cpp - What kiln-gen-data puts in each tensor --------------===//
//
// The random stream is SplitMix64 implemented here, not a <random> engine
// with a distribution: the standard leaves distributions to the library, and
// the generated files must be the same on every platform for a given seed.
//
//===----------------------------------------------------------------------===//

#include "tools/kiln-gen-data/DataPlan.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln::gendata {

namespace {

class Random {
public:
  Random(uint64_t seed, const std::string &name) : state(seed) {
    // FNV-1a of the name gives each tensor an independent stream.
    uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : name)
      hash = (hash ^ c) * 1099511628211ull;
    state ^= hash;
    next();
  }
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  /// Uniform in [-1, 1).
  double symmetric() { return 2 * uniform() - 1; }

private:
  uint64_t state;
};

int64_t resolvedDim(const model::Model &m, const model::Dim &dim,
                    const std::map<std::string, int64_t> &dims) {
  if (dim.isStatic())
    return dim.size;
  auto it = dims.find(m.dims[dim.symbol]);
  return it == dims.end() ? 1 : it->second;
}

void fillOffsets(Random &random, int64_t length, kiln_tensor &tensor) {
  int64_t count = kiln_tensor_num_elements(&tensor);
  if (count == 0)
    return;
  std::vector<int64_t> cuts;
  for (int64_t i = 1; i + 1 < count; ++i)
    cuts.push_back(static_cast<int64_t>(random.uniform() * (length + 1)));
  std::sort(cuts.begin(), cuts.end());
  kiln_tensor_set(&tensor, 0, 0);
  for (size_t i = 0; i < cuts.size(); ++i)
    kiln_tensor_set(&tensor, static_cast<int64_t>(i + 1),
                    static_cast<double>(cuts[i]));
  if (count > 1)
    kiln_tensor_set(&tensor, count - 1, static_cast<double>(length));
}

/// The bound of uniform values for a generic float tensor.
double genericBound(const model::Value &value, const kiln_tensor &tensor,
                    double scale) {
  if (value.kind != model::ValueKind::Param)
    return scale;
  if (tensor.rank < 2)
    return 0.1 * scale;
  // PyTorch layout weight[out, in, ...]: the fan-in is everything but dim 0.
  double fanIn = 1;
  for (int i = 1; i < tensor.rank; ++i)
    fanIn *= static_cast<double>(tensor.shape[i]);
  return scale / std::sqrt(fanIn);
}

} // namespace

Usage classify(const model::Model &m, int id) {
  for (const model::Node &node : m.nodes) {
    for (size_t pos = 0; pos < node.inputs.size(); ++pos) {
      if (node.inputs[pos] != id)
        continue;
      Usage usage;
      if (node.op == "embedding" && pos == 0) {
        const model::Shape &table = m.value(node.inputs[1]).type.shape;
        if (!table.empty() && table[0].isStatic()) {
          usage.role = Role::EmbeddingIds;
          usage.bound = table[0].size;
          return usage;
        }
      } else if (node.op == "rope" && pos == 1) {
        usage.role = Role::Positions;
        return usage;
      } else if ((int)pos == model::seqOffsetsInput(node.op)) {
        usage.role = Role::SeqOffsets;
        usage.lengthOf = node.inputs[0];
        return usage;
      } else if ((node.op == "layer_norm" || node.op == "rms_norm") &&
                 pos == 1) {
        usage.role = Role::NormWeight;
        return usage;
      } else if (node.op == "selective_scan" && pos == 2) {
        usage.role = Role::ScanA;
        return usage;
      }
    }
  }
  return {};
}

bool resolveShape(const model::Model &m, const model::Value &value,
                  const std::map<std::string, int64_t> &dims, kiln_tensor &out,
                  std::string &error) {
  kiln_dtype dtype;
  if (kiln_dtype_parse(model::dtypeName(value.type.dtype), &dtype) != 0 ||
      value.type.shape.size() > KILN_MAX_RANK) {
    error = "'" + value.name + "': unsupported dtype or rank";
    return false;
  }
  out = {};
  out.dtype = dtype;
  out.rank = static_cast<int32_t>(value.type.shape.size());
  for (int i = 0; i < out.rank; ++i) {
    const model::Dim &dim = value.type.shape[i];
    if (!dim.isStatic() && !dims.count(m.dims[dim.symbol])) {
      error = "'" + value.name + "' has shape " +
              model::formatShape(m, value.type.shape) + ": give --dim " +
              m.dims[dim.symbol] + "=N";
      return false;
    }
    out.shape[i] = resolvedDim(m, dim, dims);
  }
  return true;
}

void fill(const model::Model &m, int id, const Usage &usage,
          const std::map<std::string, int64_t> &dims,
          const FillOptions &options, kiln_tensor &tensor) {
  const model::Value &value = m.value(id);
  Random random(options.seed, value.name);
  int64_t count = kiln_tensor_num_elements(&tensor);
  bool isFloat = model::isFloat(value.type.dtype);
  if (usage.role == Role::SeqOffsets) {
    const model::Shape &q = m.value(usage.lengthOf).type.shape;
    int64_t length = q.size() > 1 ? resolvedDim(m, q[1], dims) : 0;
    fillOffsets(random, length, tensor);
    return;
  }
  int64_t last = tensor.rank ? tensor.shape[tensor.rank - 1] : 1;
  double bound = genericBound(value, tensor, options.scale);
  for (int64_t i = 0; i < count; ++i) {
    double x;
    switch (usage.role) {
    case Role::EmbeddingIds:
      x = std::floor(random.uniform() * static_cast<double>(usage.bound));
      break;
    case Role::Positions:
      x = static_cast<double>(i % std::max<int64_t>(last, 1));
      break;
    case Role::NormWeight:
      x = 1 + 0.1 * options.scale * random.symmetric();
      break;
    case Role::ScanA:
      x = -(1 + 3 * random.uniform());
      break;
    default:
      // Integers without a known role get small non-negative values, bools
      // are true or false alike.
      x = isFloat
              ? bound * random.symmetric()
              : std::floor((value.type.dtype == model::DType::Bool ? 2 : 8) *
                           random.uniform());
      break;
    }
    kiln_tensor_set(&tensor, i, x);
  }
}

} // namespace kiln::gendata
