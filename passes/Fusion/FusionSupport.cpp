//===- FusionSupport.cpp - Locations and users for fusion -----------------===//

#include "passes/Fusion/FusionSupport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace kiln;

static void collectPointers(Location loc, SmallVector<std::string> &out) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    StringRef pointer = name.getName().strref();
    if (pointer.starts_with("/") && !llvm::is_contained(out, pointer))
      out.push_back(pointer.str());
    return;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      collectPointers(inner, out);
}

SmallVector<std::string> kiln::nodePointers(Location loc) {
  SmallVector<std::string> pointers;
  collectPointers(loc, pointers);
  return pointers;
}

Location kiln::fusedLoc(ArrayRef<Operation *> ops) {
  SmallVector<Location> locs;
  for (Operation *op : ops)
    locs.push_back(op->getLoc());
  return FusedLoc::get(ops.front()->getContext(), locs);
}

Operation *kiln::soleUser(Value value) {
  if (!value.hasOneUse())
    return nullptr;
  return *value.getUsers().begin();
}

bool kiln::isDefinedBefore(Value value, Operation *op) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return value.getParentBlock() == op->getBlock();
  return def->getBlock() == op->getBlock() && def->isBeforeInBlock(op);
}

std::string kiln::otherUsersReason(Value value, Operation *consumer,
                                   StringRef subject) {
  std::string reason = (subject + " also feeds").str();
  // A user that reads the value twice (x * x) or two ops of one node are
  // named once.
  llvm::StringSet<> named;
  for (Operation *user : value.getUsers()) {
    SmallVector<std::string> pointers = nodePointers(user->getLoc());
    if (user == consumer || pointers.empty() || named.size() == 3 ||
        !named.insert(pointers.front()).second)
      continue;
    reason += (named.size() == 1 ? " " : ", ") + pointers.front();
  }
  return named.empty() ? (subject + " has several users").str() : reason;
}

LogicalResult kiln::canFuseNormPrologue(Operation *norm, std::string &why) {
  Value result = norm->getResult(0);
  if (result.use_empty()) {
    why = "its result is unused";
    return failure();
  }
  for (OpOperand &use : result.getUses()) {
    Operation *user = use.getOwner();
    if (isa<func::ReturnOp>(user)) {
      why = "its result is an output of the model";
      return failure();
    }
    SmallVector<std::string> pointers = nodePointers(user->getLoc());
    std::string name = pointers.empty() ? "an op" : pointers.front();
    if (!isa<graph::LinearOp, ffn::MLPOp, ffn::GLUOp>(user)) {
      why = "its result also feeds " + name + ", which is no GEMM";
      return failure();
    }
    if (use.getOperandNumber() != 0) {
      // A post-norm block: the normalized value is also added back.
      bool alsoInput = user->getOperand(0) == result;
      why = alsoInput ? "its result is also the residual " + name +
                            " adds, which a prologue would not compute"
                      : "its result is not the input of " + name +
                            " but another operand (a residual, say)";
      return failure();
    }
    if (user->hasAttr("norm")) {
      why = name + " already normalizes its input";
      return failure();
    }
  }
  return success();
}

/// The activation of a unary graph op, if it is one a GEMM epilogue takes.
static std::optional<Activation> unaryActivation(Operation *op) {
  if (isa<graph::ReluOp>(op))
    return Activation::relu;
  if (isa<graph::GeluOp>(op))
    return Activation::gelu;
  if (isa<graph::GeluTanhOp>(op))
    return Activation::gelu_tanh;
  if (isa<graph::SiluOp>(op))
    return Activation::silu;
  if (isa<graph::QuickGeluOp>(op))
    return Activation::quick_gelu;
  if (isa<graph::SigmoidOp>(op))
    return Activation::sigmoid;
  if (isa<graph::TanhOp>(op))
    return Activation::tanh;
  return std::nullopt;
}

/// The one op that uses `value` (once or more), or null.
static Operation *onlyUserOp(Value value) {
  Operation *user = nullptr;
  for (Operation *candidate : value.getUsers()) {
    if (user && candidate != user)
      return nullptr;
    user = candidate;
  }
  return user;
}

Value kiln::squaredOperand(Operation *op) {
  Value squared;
  if (auto square = dyn_cast<graph::SquareOp>(op))
    squared = square.getInput();
  else if (auto mul = dyn_cast<graph::MulOp>(op);
           mul && mul.getLhs() == mul.getRhs())
    squared = mul.getLhs();
  else if (auto pow = dyn_cast<graph::PowOp>(op);
           pow && scalarConstant(pow.getRhs()) == 2.0)
    squared = pow.getLhs();
  if (!squared || squared.getType() != op->getResult(0).getType())
    return Value();
  return squared;
}

std::optional<ActivationMatch> kiln::matchActivation(Value result) {
  Operation *def = result.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (std::optional<Activation> kind = unaryActivation(def))
    return ActivationMatch{*kind, def->getOperand(0), {def}};
  Value squared = squaredOperand(def);
  auto relu = squared ? squared.getDefiningOp<graph::ReluOp>() : nullptr;
  if (!relu || onlyUserOp(squared) != def)
    return std::nullopt;
  return ActivationMatch{Activation::relu2, relu.getInput(), {relu, def}};
}

std::optional<ActivationMatch> kiln::matchActivationOf(Value input) {
  Operation *user = soleUser(input);
  if (!user || user->getNumResults() != 1)
    return std::nullopt;
  std::optional<ActivationMatch> act = matchActivation(user->getResult(0));
  if (!act || act->input != input)
    return std::nullopt;
  if (act->kind != Activation::relu)
    return act;
  Operation *next = onlyUserOp(user->getResult(0));
  std::optional<ActivationMatch> longer =
      next && next->getNumResults() == 1 ? matchActivation(next->getResult(0))
                                         : std::nullopt;
  if (longer && longer->kind == Activation::relu2 && longer->input == input)
    return longer;
  return act;
}

bool kiln::intermediatesContained(ArrayRef<Operation *> ops, Operation *last) {
  llvm::SmallPtrSet<Operation *, 16> matched(ops.begin(), ops.end());
  return llvm::all_of(ops, [&](Operation *op) {
    return op == last || llvm::all_of(op->getUsers(), [&](Operation *user) {
             return matched.contains(user);
           });
  });
}

std::optional<double> kiln::scalarConstant(Value value) {
  DenseElementsAttr attr;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !isa<FloatType>(type.getElementType()) ||
      !matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

SmallVector<Operation *> kiln::readersInGroup(graph::FusedElementwiseOp group,
                                              Value value) {
  SmallVector<Operation *> readers;
  for (auto [arg, input] :
       llvm::zip(group.getBody().front().getArguments(), group.getInputs()))
    if (input == value)
      llvm::append_range(readers, arg.getUsers());
  return readers;
}

bool kiln::isElementwiseKernel(Operation *op) {
  return graph::isElementwise(op) || isa<graph::FusedElementwiseOp>(op);
}

bool kiln::isGemmWithEpilogue(Operation *op) {
  return isa<graph::LinearOp, ffn::MLPOp, ffn::GLUOp>(op);
}

FailureOr<RopeProjection> kiln::matchRopeProjection(graph::RopeOp rope,
                                                    std::string &why) {
  auto reshape = rope.getInput().getDefiningOp<graph::ReshapeOp>();
  auto linear = reshape ? reshape.getInput().getDefiningOp<graph::LinearOp>()
                        : graph::LinearOp();
  if (!linear) {
    why = "its input is not a linear's result split into heads";
    return failure();
  }
  SmallVector<std::string> pointers = nodePointers(linear->getLoc());
  std::string projection = pointers.empty() ? "the projection" : pointers[0];
  ArrayRef<int64_t> heads = rope.getInput().getType().getShape();
  ArrayRef<int64_t> features = linear.getResult().getType().getShape();
  // [B, T, H·D] -> [B, T, H, D], which keeps each row's features in order.
  // Dynamic B and T are taken to be the projection's own: the importer's
  // reshapes keep every symbolic dim where it was (docs/json-ir.md).
  if (features.size() != 3 ||
      !llvm::equal(heads.take_front(2), features.take_front(2)) ||
      ShapedType::isDynamic(heads[3])) {
    why = "the reshape of " + projection + " is no split of [batch, seq, features] into heads";
    return failure();
  }
  if (!reshape.getResult().hasOneUse()) {
    why = otherUsersReason(reshape.getResult(), rope);
    return failure();
  }
  if (!linear.getResult().hasOneUse()) {
    why = projection + ": " + otherUsersReason(linear.getResult(), reshape);
    return failure();
  }
  if (linear.getRopeHeadDim()) {
    why = projection + " already rotates its result";
    return failure();
  }
  return RopeProjection{linear, reshape};
}

std::optional<ProjectionPart> kiln::projectionPart(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  Operation *op = value.getDefiningOp();
  if (!type || type.getRank() == 0 ||
      !isa_and_nonnull<graph::SliceOp, graph::SplitOp>(op))
    return std::nullopt;
  int64_t last = type.getRank() - 1;
  auto projection = op->getOperand(0).getDefiningOp<graph::LinearOp>();
  auto whole = cast<RankedTensorType>(op->getOperand(0).getType());
  if (!projection || whole.isDynamicDim(last))
    return std::nullopt;
  ProjectionPart part{projection, 0, type.getDimSize(last), op};
  if (auto slice = dyn_cast<graph::SliceOp>(op)) {
    part.start = static_cast<int64_t>(slice.getStart());
    if (static_cast<int64_t>(slice.getAxis()) != last)
      return std::nullopt;
    return part;
  }
  auto split = cast<graph::SplitOp>(op);
  if (static_cast<int64_t>(split.getAxis()) != last)
    return std::nullopt;
  for (Value result : split.getResults()) {
    if (result == value)
      return part;
    part.start += cast<RankedTensorType>(result.getType()).getDimSize(last);
  }
  return std::nullopt;
}
