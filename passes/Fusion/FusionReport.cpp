//===- FusionReport.cpp - Which JSON nodes each kernel computes -----------===//
//
// The kiln-fusion-report pass. Each op after fusion is one kernel; its
// location holds the JSON pointers of the nodes it computes (the fusion
// passes fuse the locations of what they merge). Refusals are found again
// by asking each fusion's own check about the candidates left in the IR.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

#include <set>

namespace kiln {
#define GEN_PASS_DEF_FUSIONREPORT
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// The kernel kind a report line names.
std::string kindOf(Operation *op) {
  if (isa<attn::AttentionOp>(op))
    return "attention";
  if (isa<LinearOp, MatmulOp>(op))
    return "gemm";
  if (isElementwiseKernel(op))
    return "elementwise";
  return op->getName().stripDialect().str();
}

/// Whether `use` is a weight operand of a GEMM kernel.
bool isGemmWeight(OpOperand &use) {
  Operation *op = use.getOwner();
  if (auto linear = dyn_cast<LinearOp>(op))
    return &use == &linear.getWeightMutable();
  if (auto mlp = dyn_cast<ffn::MLPOp>(op))
    return &use == &mlp.getWInMutable() || &use == &mlp.getWOutMutable();
  if (auto glu = dyn_cast<ffn::GLUOp>(op))
    return &use == &glu.getWGateMutable() || &use == &glu.getWUpMutable() ||
           &use == &glu.getWDownMutable();
  return false;
}

/// Whether `value` is a parameter, or a transpose or slice of one.
bool isParameterView(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return true;
  return isa<TransposeOp, SliceOp>(op) && isParameterView(op->getOperand(0));
}

/// A view of a parameter that only GEMMs read as a weight (kiln-raise-linear
/// transposes a weight given `[in, out]`; kiln-raise-ffn slices a glu's gate
/// and up rows from a gate_up projection's): no kernel of its own, since
/// kiln-pack-weights packs the panels from the parameter itself, so its
/// node is reported with the GEMM.
bool isWeightLayout(Operation *op) {
  if (!isa<TransposeOp, SliceOp>(op) || !isParameterView(op->getOperand(0)))
    return false;
  return llvm::all_of(op->getUses(), [](OpOperand &use) {
    return isGemmWeight(use) || isWeightLayout(use.getOwner());
  });
}

/// The first node pointer of `op`, where a refusal is reported.
std::string firstPointer(Operation *op) {
  SmallVector<std::string> pointers = nodePointers(op->getLoc());
  return pointers.empty() ? std::string("?") : pointers.front();
}

/// Orders "/nodes/9" before "/nodes/10": by node index, then as text.
bool nodeOrder(StringRef lhs, StringRef rhs) {
  auto index = [](StringRef pointer) {
    unsigned value = ~0u;
    if (pointer.consume_front("/nodes/"))
      pointer.consumeInteger(10, value);
    return value;
  };
  return std::make_pair(index(lhs), lhs) < std::make_pair(index(rhs), rhs);
}

/// What a candidate whose check passes, yet is still in the IR, says.
constexpr const char *kFusionOff =
    "it fuses, but the fusion passes did not run (-O0 or --no-fusion)";

/// The node of `group` that reads `value`, one of its inputs.
std::string readerPointer(FusedElementwiseOp group, Value value) {
  SmallVector<Operation *> readers = readersInGroup(group, value);
  return firstPointer(readers.empty() ? group : readers.front());
}

/// Whether `value` is an activation of a projection (an op after it, or
/// its activation epilogue).
bool isActivatedProjection(Value value) {
  if (std::optional<ActivationMatch> activation = matchActivation(value))
    return activation->input.getDefiningOp<LinearOp>() != nullptr;
  auto linear = value.getDefiningOp<LinearOp>();
  return linear && linear.getActivation().has_value();
}

/// Whether `linear` is the down projection of an MLP or GLU candidate: its
/// input an activated projection, or a product with such a factor or a
/// projection (a scaling of the embeddings, say, is no candidate).
bool readsHiddenLayer(LinearOp linear) {
  Value input = linear.getInput();
  if (isActivatedProjection(input))
    return true;
  auto product = input.getDefiningOp<MulOp>();
  return product && llvm::any_of(product->getOperands(), [](Value factor) {
           return isActivatedProjection(factor) ||
                  factor.getDefiningOp<LinearOp>() != nullptr;
         });
}

/// The gate and up that `linear` reads the product of, when they are two
/// parts of one projection's output (Phi-3's gate_up_proj, Mamba's
/// in_proj), directly or in an elementwise group.
std::optional<std::pair<ProjectionPart, ProjectionPart>>
projectionPartsRead(LinearOp linear) {
  Operation *product = linear.getInput().getDefiningOp();
  if (!isa_and_nonnull<MulOp, FusedElementwiseOp>(product))
    return std::nullopt;
  SmallVector<ProjectionPart, 2> parts;
  for (Value operand : product->getOperands()) {
    std::optional<ProjectionPart> part = projectionPart(operand);
    if (!part)
      if (std::optional<ActivationMatch> act = matchActivation(operand))
        part = projectionPart(act->input);
    if (!part || (!parts.empty() && (part->projection != parts[0].projection ||
                                     part->start == parts[0].start)))
      continue;
    parts.push_back(*part);
  }
  if (parts.size() < 2)
    return std::nullopt;
  return std::make_pair(parts[0], parts[1]);
}

/// Why `op`, a candidate left in the IR, did not fuse, and at which node
/// (`at`, preset to the first of `op`); empty when it was no candidate.
std::string refusal(Operation *op, std::string &at) {
  std::string why;
  if (isAttentionNormalizer(op)) {
    if (failed(matchAttention(op, why)))
      return "not raised to attention: " + why;
    return kFusionOff;
  }
  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (auto parts = projectionPartsRead(linear)) {
      if (failed(canTakeParts(parts->first, parts->second, linear, why)))
        return "not raised to glu: " + why;
      if (!isa<MulOp>(linear.getInput().getDefiningOp()))
        return "not raised to glu: the product of the parts is not "
               "act(gate) * up with " +
               describeActivations(gluActivations());
      if (failed(matchFFN(linear, why)))
        return "not raised to glu: " + why;
      return kFusionOff;
    }
    if (!readsHiddenLayer(linear))
      return {};
    if (failed(matchFFN(linear, why)))
      return "not raised to mlp or glu: " + why;
    return kFusionOff;
  }
  if (auto rope = dyn_cast<RopeOp>(op)) {
    // A candidate when it rotates a projection split into heads.
    auto reshape = rope.getInput().getDefiningOp<ReshapeOp>();
    if (!reshape || !reshape.getInput().getDefiningOp<LinearOp>())
      return {};
    if (failed(matchRopeProjection(rope, why)))
      return "not an epilogue of its projection: " + why;
    return kFusionOff;
  }
  if (isa<LayerNormOp, RMSNormOp>(op)) {
    // A candidate when some GEMM reads it as its input.
    bool readByGemm = llvm::any_of(op->getUses(), [](OpOperand &use) {
      return use.getOperandNumber() == 0 &&
             isa<LinearOp, ffn::MLPOp, ffn::GLUOp>(use.getOwner());
    });
    if (!readByGemm)
      return {};
    if (failed(canFuseNormPrologue(op, why)))
      return "not a prologue of its GEMMs: " + why;
    return kFusionOff;
  }
  if (!isElementwiseKernel(op))
    return {};
  for (Value operand : op->getOperands()) {
    Operation *producer = operand.getDefiningOp();
    if (!producer)
      continue;
    if (isGemmWithEpilogue(producer)) {
      if (!operand.hasOneUse())
        return "not an epilogue of " + firstPointer(producer) + ": " +
               otherUsersReason(operand, op);
      if (failed(canFuseEpilogue(producer, op, why)))
        return "not an epilogue of " + firstPointer(producer) + ": " + why;
      return kFusionOff;
    } else if (auto matmul = dyn_cast<MatmulOp>(producer)) {
      if (failed(canRaiseToLinear(matmul, why)))
        return "not an epilogue of " + firstPointer(producer) +
               ": a batched matmul takes no epilogue (" + why + ")";
      return kFusionOff;
    } else if (isElementwiseKernel(producer) || isGroupMember(producer)) {
      if (failed(canFuseElementwise(producer, op, why))) {
        if (auto group = dyn_cast<FusedElementwiseOp>(op))
          at = readerPointer(group, operand);
        return "not grouped with " + firstPointer(producer) + ": " + why;
      }
      return kFusionOff;
    }
  }
  return {};
}

struct FusionReportPass : kiln::impl::FusionReportBase<FusionReportPass> {
  using FusionReportBase::FusionReportBase;
  /// Whether each JSON node of kiln.source is a constant, in node order.
  SmallVector<bool> sourceNodeIsConstant() {
    auto source = getOperation()->getAttrOfType<StringAttr>("kiln.source");
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse(source ? source.getValue() : "{}");
    SmallVector<bool> constant;
    if (!json) {
      llvm::consumeError(json.takeError());
      return constant;
    }
    const llvm::json::Object *model = json->getAsObject();
    const llvm::json::Array *nodes = model ? model->getArray("nodes") : nullptr;
    for (size_t i = 0; nodes && i < nodes->size(); ++i) {
      const llvm::json::Object *node = (*nodes)[i].getAsObject();
      constant.push_back(node && node->getString("op") == "constant");
    }
    return constant;
  }

  /// The JSON nodes that no kernel's location names: constants become
  /// attributes or are folded into their readers; other nodes were folded
  /// away (an identity reshape, an unused result).
  static void reportNodesWithoutKernel(llvm::raw_ostream &os,
                                       ArrayRef<bool> nodeIsConstant,
                                       const std::set<std::string> &reported) {
    SmallVector<std::string> constants, folded;
    for (auto [i, constant] : llvm::enumerate(nodeIsConstant)) {
      std::string pointer = "/nodes/" + std::to_string(i);
      if (!reported.count(pointer))
        (constant ? constants : folded).push_back(pointer);
    }
    if (!constants.empty())
      os << "fused constant: " << llvm::join(constants, ", ") << "\n";
    if (!folded.empty())
      os << "fused folded: " << llvm::join(folded, ", ") << "\n";
  }

  void runOnOperation() override {
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file =
        openOutputFile(outputFile, &error);
    if (!file) {
      getOperation().emitError("cannot write the fusion report: ") << error;
      return signalPassFailure();
    }
    llvm::raw_ostream &os = file->os();
    std::set<std::string> reported;
    // The prefill and decode entries repeat the full-sequence entry's
    // nodes: only @kiln_main is reported where there is one.
    Operation *root = getOperation();
    if (auto main = getOperation().lookupSymbol<func::FuncOp>("kiln_main"))
      root = main;
    SmallVector<std::string> refusals;
    root->walk([&](Operation *op) {
      if (isa_and_nonnull<FusedElementwiseOp>(op->getParentOp()) ||
          op->getNumResults() == 0 || isWeightLayout(op))
        return;
      SmallVector<std::string> nodes;
      for (std::string &pointer : nodePointers(op->getLoc()))
        if (reported.insert(pointer).second)
          nodes.push_back(pointer);
      llvm::sort(nodes, nodeOrder);
      if (!nodes.empty())
        os << "fused " << kindOf(op) << ": " << llvm::join(nodes, ", ")
           << "\n";
      // An op the fusion passes built (an attention's bias) is no node to
      // explain.
      if (nodePointers(op->getLoc()).empty())
        return;
      std::string at = firstPointer(op);
      if (std::string why = refusal(op, at); !why.empty())
        refusals.push_back("not fused: " + at + ": " + why);
    });
    // A node other than a constant is some op's in any IR compiled from it.
    SmallVector<bool> nodeIsConstant = sourceNodeIsConstant();
    if (reported.empty() && llvm::is_contained(nodeIsConstant, false)) {
      // At the first op of the body with a place in the file, whose source
      // line is short; the module's emitError would print all of it.
      Location at = getOperation().getLoc();
      root->walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (op == root || !op->getLoc()->findInstanceOf<FileLineColLoc>())
          return WalkResult::advance();
        at = op->getLoc();
        return WalkResult::interrupt();
      });
      mlir::emitError(at, "the IR carries no JSON node locations, so no "
                          "kernel can be traced to its nodes: print it with "
                          "--mlir-print-debuginfo");
      return signalPassFailure();
    }
    reportNodesWithoutKernel(os, nodeIsConstant, reported);
    for (const std::string &line : refusals)
      os << line << "\n";
    file->keep();
    markAllAnalysesPreserved();
  }
};

} // namespace
