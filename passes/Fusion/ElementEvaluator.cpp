//===- ElementEvaluator.cpp - Values of constant expressions, by element -===//

#include "passes/Fusion/ElementEvaluator.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// The element of `elements` at the row-major position `flat`.
std::optional<double> elementAt(DenseElementsAttr elements, int64_t flat) {
  Type element = elements.getElementType();
  if (elements.isSplat())
    flat = 0;
  if (isa<FloatType>(element))
    return elements.getValues<APFloat>()[flat].convertToDouble();
  if (element.isInteger(1))
    return double(elements.getValues<bool>()[flat]);
  if (isa<IntegerType>(element))
    return double(elements.getValues<APInt>()[flat].getSExtValue());
  return std::nullopt;
}

/// `op` on one scalar, if it is a unary op the evaluator models.
std::optional<double> apply(Operation *op, double x) {
  return llvm::TypeSwitch<Operation *, std::optional<double>>(op)
      .Case([&](NegOp) { return -x; })
      .Case([&](AbsOp) { return std::fabs(x); })
      .Case([&](SquareOp) { return x * x; })
      .Case([&](SqrtOp) { return std::sqrt(x); })
      .Case([&](RsqrtOp) { return 1 / std::sqrt(x); })
      .Case([&](ExpOp) { return std::exp(x); })
      .Case([&](LogOp) { return std::log(x); })
      .Case([&](CosOp) { return std::cos(x); })
      .Case([&](SinOp) { return std::sin(x); })
      .Default([](Operation *) { return std::nullopt; });
}

/// `op` on two scalars, if it is a binary op the evaluator models.
std::optional<double> combine(Operation *op, double a, double b) {
  return llvm::TypeSwitch<Operation *, std::optional<double>>(op)
      .Case([&](AddOp) { return a + b; })
      .Case([&](SubOp) { return a - b; })
      .Case([&](MulOp) { return a * b; })
      .Case([&](DivOp) { return a / b; })
      .Case([&](PowOp) { return std::pow(a, b); })
      .Case([&](MaximumOp) { return std::max(a, b); })
      .Case([&](MinimumOp) { return std::min(a, b); })
      .Case([&](EqualOp) { return double(a == b); })
      .Case([&](NotEqualOp) { return double(a != b); })
      .Case([&](LessOp) { return double(a < b); })
      .Case([&](LessEqualOp) { return double(a <= b); })
      .Case([&](GreaterOp) { return double(a > b); })
      .Case([&](GreaterEqualOp) { return double(a >= b); })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace

std::optional<double> ElementEvaluator::at(Value value,
                                           ArrayRef<int64_t> index) {
  std::optional<double> exact = atExact(value, index);
  auto type = dyn_cast<RankedTensorType>(value.getType());
  auto floatType =
      type ? dyn_cast<FloatType>(type.getElementType()) : FloatType();
  if (!exact || !floatType)
    return exact;
  APFloat rounded(*exact);
  bool losesInfo;
  rounded.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
  return rounded.convertToDouble();
}

std::optional<double> ElementEvaluator::atExact(Value value,
                                                ArrayRef<int64_t> index) {
  if (value == boundLeaf)
    return boundValues(index);
  Operation *op = value.getDefiningOp();
  auto stop = [&]() -> std::optional<double> {
    if (!unknown)
      unknown = value;
    return std::nullopt;
  };
  if (!op)
    return stop();
  ops.insert(op);
  if (auto arange = dyn_cast<ArangeOp>(op)) {
    if (arange.getSeqOffsets())
      return std::nullopt;
    return arange.getStart().convertToDouble() + double(index[0]);
  }
  if (auto constant = dyn_cast<ConstantOp>(op)) {
    auto elements = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!elements)
      return std::nullopt;
    int64_t flat = 0;
    for (auto [size, i] : llvm::zip(elements.getType().getShape(), index))
      flat = flat * size + i;
    return elementAt(elements, flat);
  }
  if (auto where = dyn_cast<WhereOp>(op)) {
    std::optional<double> cond = operandAt(where.getCond(), index);
    if (!cond)
      return std::nullopt;
    return operandAt(*cond != 0 ? where.getLhs() : where.getRhs(), index);
  }
  if (auto cast = dyn_cast<CastOp>(op)) {
    std::optional<double> input = operandAt(cast.getInput(), index);
    Type element = cast.getType().getElementType();
    if (!input)
      return std::nullopt;
    if (element.isInteger(1))
      return double(*input != 0);
    return isa<IntegerType>(element) ? std::trunc(*input) : *input;
  }
  if (isa<ReshapeOp>(op))
    return throughReshape(op, index);
  if (isa<ConcatOp>(op))
    return throughConcat(op, index);
  if (isa<GatherOp>(op))
    return throughGather(op, index);
  if (auto slice = dyn_cast<SliceOp>(op)) {
    // A negative start counts from the end of a symbolic axis.
    auto start = static_cast<int64_t>(slice.getStart());
    if (start < 0)
      return std::nullopt;
    SmallVector<int64_t> source(index);
    source[slice.getAxis()] += start;
    return at(slice.getInput(), source);
  }
  if (isa<MatmulOp>(op))
    return throughMatmul(op, index);
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    SmallVector<int64_t> source(index.size());
    for (auto [axis, from] : llvm::enumerate(transpose.getPerm()))
      source[from] = index[axis];
    return at(transpose.getInput(), source);
  }
  if (op->getNumOperands() == 1 && op->getNumResults() == 1) {
    std::optional<double> input = operandAt(op->getOperand(0), index);
    if (!input)
      return std::nullopt;
    std::optional<double> result = apply(op, *input);
    return result ? result : stop();
  }
  if (op->getNumOperands() != 2 ||
      (isa<DivOp>(op) &&
       !isa<FloatType>(getElementTypeOrSelf(value.getType()))))
    return stop();
  std::optional<double> lhs = operandAt(op->getOperand(0), index);
  std::optional<double> rhs = operandAt(op->getOperand(1), index);
  if (!lhs || !rhs)
    return std::nullopt;
  std::optional<double> result = combine(op, *lhs, *rhs);
  return result ? result : stop();
}

/// The element of `operand` that broadcasts to `index` of its user's
/// result.
std::optional<double> ElementEvaluator::operandAt(Value operand,
                                                  ArrayRef<int64_t> index) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  int64_t offset =
      static_cast<int64_t>(index.size()) - (type ? type.getRank() : 0);
  if (!type || offset < 0) // A size operand, or not a broadcast.
    return std::nullopt;
  SmallVector<int64_t> source;
  for (int64_t axis = 0; axis < type.getRank(); ++axis)
    source.push_back(type.getDimSize(axis) == 1 ? 0 : index[axis + offset]);
  return at(operand, source);
}

/// Follows a reshape that splits or merges static dims and carries each
/// dynamic dim over as it is (the reshape's dynamic sizes are its input's),
/// unit dims aside: each group of static dims of equal product keeps its
/// row-major offset.
std::optional<double>
ElementEvaluator::throughReshape(Operation *op, ArrayRef<int64_t> index) {
  auto reshape = cast<ReshapeOp>(op);
  auto from = cast<RankedTensorType>(reshape.getInput().getType());
  auto to = cast<RankedTensorType>(reshape.getType());
  auto nonUnitAxes = [](RankedTensorType type) {
    SmallVector<int64_t> axes;
    for (int64_t axis = 0; axis < type.getRank(); ++axis)
      if (type.getDimSize(axis) != 1)
        axes.push_back(axis);
    return axes;
  };
  SmallVector<int64_t> in = nonUnitAxes(from), out = nonUnitAxes(to);
  SmallVector<int64_t> source(from.getRank(), 0);
  size_t i = 0, o = 0;
  while (i < in.size() && o < out.size()) {
    int64_t inSize = from.getDimSize(in[i]), outSize = to.getDimSize(out[o]);
    if (ShapedType::isDynamic(inSize) || ShapedType::isDynamic(outSize)) {
      if (inSize != outSize)
        return std::nullopt;
      source[in[i++]] = index[out[o++]];
      continue;
    }
    size_t inEnd = i + 1, outEnd = o + 1;
    while (inSize != outSize) {
      bool growIn = inSize < outSize;
      size_t &end = growIn ? inEnd : outEnd;
      ArrayRef<int64_t> axes = growIn ? in : out;
      RankedTensorType type = growIn ? from : to;
      if (end == axes.size() || type.isDynamicDim(axes[end]))
        return std::nullopt;
      (growIn ? inSize : outSize) *= type.getDimSize(axes[end++]);
    }
    int64_t offset = 0;
    for (size_t k = o; k < outEnd; ++k)
      offset = offset * to.getDimSize(out[k]) + index[out[k]];
    for (size_t k = inEnd; k-- > i;) {
      source[in[k]] = offset % from.getDimSize(in[k]);
      offset /= from.getDimSize(in[k]);
    }
    i = inEnd;
    o = outEnd;
  }
  if (i != in.size() || o != out.size())
    return std::nullopt;
  return at(reshape.getInput(), source);
}

/// The element of a gather's input at the index its indices hold there
/// (PyTorch's repeat_interleave and strided slices, exported).
std::optional<double> ElementEvaluator::throughGather(Operation *op,
                                                      ArrayRef<int64_t> index) {
  auto gather = cast<GatherOp>(op);
  auto inputType = cast<RankedTensorType>(gather.getInput().getType());
  auto axis = static_cast<int64_t>(gather.getAxis());
  int64_t rank =
      cast<RankedTensorType>(gather.getIndices().getType()).getRank();
  std::optional<double> taken =
      at(gather.getIndices(), index.slice(axis, rank));
  if (!taken)
    return std::nullopt;
  auto position = static_cast<int64_t>(*taken);
  int64_t size = inputType.getDimSize(axis);
  if (position < 0 && !ShapedType::isDynamic(size))
    position += size;
  if (position < 0 || (!ShapedType::isDynamic(size) && position >= size))
    return std::nullopt;
  SmallVector<int64_t> source(index.take_front(axis));
  source.push_back(position);
  llvm::append_range(source, index.drop_front(axis + rank));
  return at(gather.getInput(), source);
}

/// The element of the part of a concat (along a static axis) that holds
/// `index`.
std::optional<double> ElementEvaluator::throughConcat(Operation *op,
                                                      ArrayRef<int64_t> index) {
  auto concat = cast<ConcatOp>(op);
  int64_t axis = concat.getAxis();
  SmallVector<int64_t> source(index);
  for (Value part : concat.getInputs()) {
    int64_t size = cast<RankedTensorType>(part.getType()).getDimSize(axis);
    if (ShapedType::isDynamic(size))
      return std::nullopt;
    if (source[axis] < size)
      return at(part, source);
    source[axis] -= size;
  }
  return std::nullopt;
}

/// Element (..., i, j) of a matmul: the sum over its static contraction
/// (HF's LLaMA takes the outer product of frequencies and positions as a
/// matmul over one), batch dims broadcast.
std::optional<double> ElementEvaluator::throughMatmul(Operation *op,
                                                      ArrayRef<int64_t> index) {
  auto matmul = cast<MatmulOp>(op);
  auto lhsType = cast<RankedTensorType>(matmul.getLhs().getType());
  auto rhsType = cast<RankedTensorType>(matmul.getRhs().getType());
  int64_t rank = static_cast<int64_t>(index.size());
  int64_t depth = lhsType.getDimSize(lhsType.getRank() - 1);
  constexpr int64_t kMaxDepth = 64;
  if (rank < 2 || lhsType.getRank() < 2 || rhsType.getRank() < 2 ||
      ShapedType::isDynamic(depth) || depth > kMaxDepth)
    return std::nullopt;
  // The operands' places: the batch dims broadcast, then (i, k) and (k, j).
  auto place = [&](RankedTensorType type, int64_t row, int64_t column) {
    SmallVector<int64_t> at;
    int64_t offset = rank - type.getRank();
    for (int64_t axis = 0; axis + 2 < type.getRank(); ++axis)
      at.push_back(type.getDimSize(axis) == 1 ? 0 : index[axis + offset]);
    at.append({row, column});
    return at;
  };
  double sum = 0;
  for (int64_t k = 0; k < depth; ++k) {
    std::optional<double> a =
        at(matmul.getLhs(), place(lhsType, index[rank - 2], k));
    std::optional<double> b =
        at(matmul.getRhs(), place(rhsType, k, index[rank - 1]));
    if (!a || !b)
      return std::nullopt;
    sum += *a * *b;
  }
  return sum;
}

SmallVector<Operation *> kiln::deadWith(const llvm::SetVector<Operation *> &ops,
                                        ArrayRef<Operation *> users) {
  llvm::SetVector<Operation *> dead;
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : ops) {
      if (dead.contains(op))
        continue;
      bool onlyDeadUsers = llvm::all_of(op->getUsers(), [&](Operation *user) {
        return llvm::is_contained(users, user) || dead.contains(user);
      });
      if (onlyDeadUsers)
        changed |= dead.insert(op);
    }
  }
  return SmallVector<Operation *>(dead.begin(), dead.end());
}
