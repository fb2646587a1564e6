//===- FuseElementwise.cpp - Chains of elementwise ops into one kernel ----===//
//
// The kiln-fuse-elementwise pass. Each elementwise op on its own is a loop
// nest that reads its operands from memory and writes its result back; a
// chain of them (the scale, exp, mul and add of a hand-written block) is
// memory-bound. Grouped into one graph.fused_elementwise, the chain reads
// its inputs once and writes one result. The slices, concats and
// transposes between elementwise ops join their groups too (RoPE's
// rotate_half, `concat(-x2, x1)`), since the kernel reads through them.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// Builds the body of a group being formed: values from outside become
/// block arguments (one per distinct value) and the members' ops are cloned
/// in order.
class GroupBuilder {
public:
  GroupBuilder(OpBuilder &builder, Block *body) : builder(builder), body(body) {
    builder.setInsertionPointToEnd(body);
  }

  /// Clones `member` (a group member or a group) into the body; returns
  /// the value it computes there.
  Value add(Operation *member) {
    if (auto group = dyn_cast<FusedElementwiseOp>(member)) {
      Block &inner = group.getBody().front();
      for (auto [arg, input] :
           llvm::zip(inner.getArguments(), group.getInputs()))
        mapping.map(arg, inside(input));
      for (Operation &op : inner.without_terminator())
        builder.clone(op, mapping);
      Value yielded = inner.getTerminator()->getOperand(0);
      mapping.map(group.getResult(), mapping.lookup(yielded));
      return mapping.lookup(yielded);
    }
    for (Value operand : member->getOperands())
      inside(operand);
    return builder.clone(*member, mapping)->getResult(0);
  }

  llvm::ArrayRef<Value> inputs() const { return outside; }

private:
  Value inside(Value value) {
    if (Value mapped = mapping.lookupOrNull(value))
      return mapped;
    outside.push_back(value);
    Value arg = body->addArgument(value.getType(), value.getLoc());
    mapping.map(value, arg);
    return arg;
  }

  OpBuilder &builder;
  Block *body;
  IRMapping mapping;
  SmallVector<Value> outside;
};

/// Replaces `consumer` and its operand's producer by one group, at the
/// consumer's place; returns the group.
Operation *merge(Operation *producer, Operation *consumer) {
  OpBuilder builder(consumer);
  auto block = std::make_unique<Block>();
  GroupBuilder group(builder, block.get());
  group.add(producer);
  Value result = group.add(consumer);
  builder.create<YieldOp>(consumer->getLoc(), result);

  builder.setInsertionPoint(consumer);
  auto fused = builder.create<FusedElementwiseOp>(
      fusedLoc({producer, consumer}), consumer->getResult(0).getType(),
      group.inputs());
  fused.getBody().push_back(block.release());
  consumer->getResult(0).replaceAllUsesWith(fused.getResult());
  consumer->erase();
  producer->erase();
  return fused;
}

struct FuseElementwisePass
    : kiln::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    // One pass in program order: a producer has absorbed its own producers
    // before its consumer absorbs it, and a new group stays at its
    // consumer's place, where it may absorb the producer of another operand.
    for (Block &block : getOperation().getBody())
      for (Operation *op = &block.front(); op; op = op->getNextNode())
        while (Operation *producer = fusibleProducer(op))
          op = merge(producer, op);
  }

  /// A producer of one of `consumer`'s operands that may join its group,
  /// or null. Data movement joins elementwise ops, never only itself: alone
  /// it is a copy, and the ops that read it (a GEMM's weight layout, an
  /// attention's operands) may expect it as it is.
  static Operation *fusibleProducer(Operation *consumer) {
    if (!isGroupable(consumer))
      return nullptr;
    for (Value operand : consumer->getOperands()) {
      Operation *producer = operand.getDefiningOp();
      std::string why;
      if (producer && isGroupable(producer) &&
          (isElementwiseKernel(producer) || isElementwiseKernel(consumer)) &&
          succeeded(canFuseElementwise(producer, consumer, why)))
        return producer;
    }
    return nullptr;
  }

  static bool isGroupable(Operation *op) {
    return isGroupMember(op) || isa<FusedElementwiseOp>(op);
  }
};

} // namespace

LogicalResult kiln::canFuseElementwise(Operation *producer,
                                       Operation *consumer, std::string &why) {
  Value result = producer->getResult(0);
  // The consumer may read it more than once (`x * x`).
  if (llvm::any_of(result.getUsers(),
                   [&](Operation *user) { return user != consumer; })) {
    why = otherUsersReason(result, consumer);
    return failure();
  }
  // The ops that read the result: the consumer, or inside a group the
  // users of the block argument that stands for it.
  SmallVector<Operation *> readers{consumer};
  if (auto group = dyn_cast<FusedElementwiseOp>(consumer))
    readers = readersInGroup(group, result);
  auto produced = cast<RankedTensorType>(result.getType()).getShape();
  for (Operation *reader : readers) {
    // Data movement reads each element at most once per result element.
    if (!isElementwise(reader))
      continue;
    if (cast<RankedTensorType>(reader->getResult(0).getType()).getShape() !=
        produced) {
      why = "the consumer broadcasts it; fused, it would be recomputed for "
            "every element of the broadcast";
      return failure();
    }
  }
  return success();
}
