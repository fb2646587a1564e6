//===- FusionSupport.cpp - Locations and users for fusion -----------------===//

#include "passes/Fusion/FusionSupport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Location.h"

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

std::string kiln::otherUsersReason(Value value, Operation *consumer) {
  std::string reason = "its result also feeds";
  int listed = 0;
  for (Operation *user : value.getUsers()) {
    SmallVector<std::string> pointers = nodePointers(user->getLoc());
    if (user == consumer || pointers.empty() || listed == 3)
      continue;
    reason += (listed++ ? ", " : " ") + pointers.front();
  }
  return listed ? reason : "its result has several users";
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
      why = "its result is not the input of " + name +
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

std::optional<Activation> kiln::activationOf(Operation *op) {
  if (isa<graph::ReluOp>(op))
    return Activation::relu;
  if (isa<graph::GeluOp>(op))
    return Activation::gelu;
  if (isa<graph::GeluTanhOp>(op))
    return Activation::gelu_tanh;
  if (isa<graph::SiluOp>(op))
    return Activation::silu;
  if (isa<graph::SigmoidOp>(op))
    return Activation::sigmoid;
  if (isa<graph::TanhOp>(op))
    return Activation::tanh;
  return std::nullopt;
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
